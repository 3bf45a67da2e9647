# 80k iterations at total batch 16 (8 GPUs x 2) for a ViT UperNet: AdamW lr
# 1e-4, wd 0.05, layer-wise lr decay (rate per arch in the leaves), AMP
# (vit_adamw_layer_decay.py), 1500-iteration linear warmup, then poly (power
# 1) to 0. Includes mmseg's runtime.
_base_ = ['mmseg::_base_/default_runtime.py', './vit_adamw_layer_decay.py']

max_iters = 80000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=8000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500,
         end=max_iters)
]
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.65))
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=8000,
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
auto_scale_lr = dict(enable=False, base_batch_size=16)
