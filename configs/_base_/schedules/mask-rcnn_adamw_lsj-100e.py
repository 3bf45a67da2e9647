# ViTDet's LSJ schedule: 184,375 iterations at total batch 64 (~100 epochs),
# wd 0.1, 250-iteration warmup, lr x0.1 at 88.9% and 96.3%, iteration-based
# logging and checkpoints; otherwise as mask-rcnn_adamw_1x.py (AdamW lr 1e-4,
# layer-wise lr decay with the rate per arch in the leaves, AMP, mmdet's
# runtime).
_base_ = './mask-rcnn_adamw_1x.py'

max_iters = 184375
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=10000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=250),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[163889, 177546], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(weight_decay=0.1))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(base_batch_size=64)
