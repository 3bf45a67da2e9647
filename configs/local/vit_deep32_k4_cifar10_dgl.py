# DGL-style local learning of the 32-block CIFAR-10 ViT in K=4 modules of 8
# blocks: the DGL arm of configs/benchmarks/cifar10_study_deep32.py.
#   python tools/train.py configs/local/vit_deep32_k4_cifar10_dgl.py
_base_ = ['./vit_deep16_k4_cifar10_dgl.py']
model = dict(target=dict(backbone=dict(arch=dict(num_layers=32))))
