# Deep Incubation of the 32-block CIFAR-10 ViT (width 64): the incubation arm
# of configs/benchmarks/cifar10_study_deep32.py.
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10
#   python tools/train.py configs/incubate/vit_deep32_k4_cifar10.py
# Target: configs/e2e/vit_deep32_e2e_cifar10.py's ViT in K=4 modules of 8
# blocks; meta model: 4 blocks, as at 16 blocks. The phases of
# vit_deep16_k4_cifar10.py.
_base_ = ['./vit_deep16_k4_cifar10.py']
model = dict(target=dict(backbone=dict(arch=dict(num_layers=32))))
