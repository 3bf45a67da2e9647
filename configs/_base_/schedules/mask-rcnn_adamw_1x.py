# 1x (12 epochs, lr x0.1 at 8 and 11) for a ViT Mask R-CNN at total batch 16
# (8 GPUs x 2): AdamW lr 1e-4, wd 0.05, layer-wise lr decay (rate set per
# arch in the leaf configs), AMP (vit_adamw_layer_decay.py), 500-iteration
# linear warmup. Includes mmdet's runtime.
_base_ = ['mmdet::_base_/default_runtime.py', './vit_adamw_layer_decay.py']

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12,
         milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.7))
auto_scale_lr = dict(enable=False, base_batch_size=16)
# an epoch's checkpoint (fp32 weights and AdamW state) is ~1.3 GB for ViT-B,
# ~4 GB for ViT-L and ~8 GB for ViT-H: keep the last 3
default_hooks = dict(checkpoint=dict(max_keep_ckpts=3))
