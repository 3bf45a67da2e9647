# ViTDet's LSJ schedule: 184,375 iterations at total batch 64 (~100 epochs),
# AdamW lr 1e-4, wd 0.1, layer-wise lr decay (rate per arch in the leaves),
# AMP, 250-iteration warmup, lr x0.1 at 88.9% and 96.3%. Includes mmdet's
# runtime (iteration-based logging and checkpoints).
_base_ = 'mmdet::_base_/default_runtime.py'

max_iters = 184375
train_cfg = dict(
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=10000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=250),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[163889, 177546], gamma=0.1)
]
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    constructor='mmincubate.LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.7),
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=64)
