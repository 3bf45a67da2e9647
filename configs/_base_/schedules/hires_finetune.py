# High-resolution fine-tuning, DeiT's recipe (Deep Incubation publishes none):
# 30 epochs at total batch 512 (datasets/imagenet_deit_hires.py), DeiT's AdamW
# at a constant lr 5e-6, weight decay 1e-8, no warmup, no gradient clipping,
# validation every 5 epochs; Mixup/CutMix as at 224 (the model base's
# train_cfg). The configs start from a 224 model, whose position embedding is
# interpolated (bicubic) when the weights load.
_base_ = './deit_adamw.py'

optim_wrapper = dict(
    optimizer=dict(lr=5e-6, weight_decay=1e-8), clip_grad=None)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
# lr is set for batch 512; --auto-scale-lr rescales it to the actual batch
auto_scale_lr = dict(base_batch_size=512)
