# Deep Incubation of DeiT-T with 128 blocks on CIFAR-100 (the paper's Table 2:
# 77.2 top-1 in 6.0 A100-hours): K=4 modules of 32 blocks, the same 4-block
# meta model and phases as deit_tiny32_k4_cifar100.py.
#   python tools/train.py configs/incubate/deit_tiny128_k4_cifar100.py
_base_ = ['./deit_tiny32_k4_cifar100.py']
model = dict(target=dict(backbone=dict(arch=dict(num_layers=128))))
