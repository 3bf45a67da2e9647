# DeiT-T with 128 blocks trained end to end on CIFAR-100 (the paper's Table
# 2: 69.4 top-1 in 7.2 A100-hours); otherwise deit_tiny32_e2e_cifar100.py.
#   python tools/train.py configs/e2e/deit_tiny128_e2e_cifar100.py
_base_ = ['./deit_tiny32_e2e_cifar100.py']
model = dict(backbone=dict(arch=dict(num_layers=128)))
