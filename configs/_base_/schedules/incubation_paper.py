# Deep Incubation / DeiT optimisation recipe at total batch 2048.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=5e-4 * 2048 / 512, weight_decay=0.05,
                   eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0)
        }),
)
# warmup from 1e-6 for 20 epochs, then cosine to 1e-5 (end: the phase end)
warmup_cosine = [
    dict(type='LinearLR', start_factor=1e-6 / 2e-3, by_epoch=True, begin=0,
         end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=20,
         convert_to_iter_based=True),
]
cosine = [
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         convert_to_iter_based=True),
]
param_scheduler = warmup_cosine
train_cfg = dict(type='IncubationLoop', phases=[])
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='IncubationHook')]
# lr is set for batch 2048; --auto-scale-lr rescales it to the actual batch
auto_scale_lr = dict(base_batch_size=2048)
