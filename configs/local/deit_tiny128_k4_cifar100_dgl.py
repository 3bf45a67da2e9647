# DGL-style local learning of DeiT-T with 128 blocks on CIFAR-100 (the
# paper's Table 2: 70.9 top-1 in 7.4 A100-hours): K=4 modules of 32 blocks,
# otherwise deit_tiny32_k4_cifar100_dgl.py.
#   python tools/train.py configs/local/deit_tiny128_k4_cifar100_dgl.py
_base_ = ['./deit_tiny32_k4_cifar100_dgl.py']
model = dict(target=dict(backbone=dict(arch=dict(num_layers=128))))
