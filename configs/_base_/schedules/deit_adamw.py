# DeiT's optimiser at total batch 2048, shared by the Deep Incubation
# (incubation_paper.py) and end-to-end (e2e_paper.py) ImageNet schedules.
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
val_cfg = dict()
test_cfg = dict()
# lr is set for batch 2048; --auto-scale-lr rescales it to the actual batch
auto_scale_lr = dict(base_batch_size=2048)
