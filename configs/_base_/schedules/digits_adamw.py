# AdamW with cosine decay for the small CPU configs; the incubation configs
# give each phase its own copy (param_scheduler begin/end count from the
# phase start), the E2E ones set their own train_cfg.
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
val_cfg = dict()
test_cfg = dict()
