# DeiT-T with 32 blocks trained end to end on CIFAR-100 (the paper's Table 2,
# E2E column: 72.8 top-1 in 1.8 A100-hours), DeiT's 300-epoch schedule
# (AdamW, 20 warmup epochs, cosine), batch 128 on one GPU:
#   mkdir -p data/cifar100     # see configs/_base_/datasets/cifar100.py
#   python tools/train.py configs/e2e/deit_tiny32_e2e_cifar100.py
# lr 5e-4 at batch 128: DeiT's base rate (DeiT scales 5e-4 per 512 images,
# which would give 1.25e-4); the paper does not publish its CIFAR recipe, so
# this, like the lengths, is an assumption.
_base_ = [
    '../_base_/models/deit_tiny32_cifar100.py',
    '../_base_/datasets/cifar100.py', '../_base_/schedules/e2e_paper.py',
    '../_base_/default_runtime.py'
]
model = dict(data_preprocessor={{_base_.data_preprocessor}})
optim_wrapper = dict(optimizer=dict(lr=5e-4))
auto_scale_lr = dict(base_batch_size=128)
