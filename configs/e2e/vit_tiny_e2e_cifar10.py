# A tiny ViT for 32x32 CIFAR-10 trained end to end: the baseline of
# configs/incubate/vit_tiny_k4_cifar10.py, whose target is this model, and the
# config that evaluates that run's assembled.pth / final.pth:
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10
#   python tools/train.py configs/e2e/vit_tiny_e2e_cifar10.py
#   python tools/test.py configs/e2e/vit_tiny_e2e_cifar10.py \
#       work_dirs/vit_tiny_k4_cifar10/final.pth
# 8 blocks of width 128 (4 heads, MLP 256) on 4x4 patches (64 tokens + cls),
# 1.1M parameters; 20 epochs at batch 128 (1 warmup epoch, then cosine):
# minutes on a small GPU, a few hours on 2 CPU cores. The images are decoded
# once into memory (cifar10_in_memory.py); to read them from the folders with
# loader workers instead, use ../_base_/datasets/cifar10_folder.py's loaders.
_base_ = [
    '../_base_/models/vit_tiny_digits.py',
    '../_base_/datasets/cifar10_in_memory.py',
    '../_base_/schedules/digits_adamw.py', '../_base_/default_runtime.py'
]
# the digits ViT, wider, on 4x4 patches of 32x32 RGB images
model = dict(
    backbone=dict(
        arch=dict(embed_dims=128, feedforward_channels=256),
        img_size=32,
        patch_size=4,
        in_channels=3,
        drop_path_rate=0.1),
    head=dict(in_channels=128),
    data_preprocessor={{_base_.data_preprocessor}},
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1,
         end=20, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=5)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
# lr 1e-3 is set for batch 128; --auto-scale-lr rescales it
auto_scale_lr = dict(base_batch_size=128)
