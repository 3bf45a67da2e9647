# AdamW with cosine decay; the incubation configs give each phase its own
# copy of this (param_scheduler begin/end count from the phase start).
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0)
        }),
)
param_scheduler = [
    # no 'end': IncubationLoop ends it with each phase
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
val_cfg = dict()
test_cfg = dict()
