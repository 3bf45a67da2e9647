# The CIFAR-10 study's deeper ViT trained end to end: 32 blocks of width 64
# (configs/e2e/vit_deep16_e2e_cifar10.py, twice as deep), the E2E arm of
# configs/benchmarks/cifar10_study_deep32.py.
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10
#   python tools/train.py configs/e2e/vit_deep32_e2e_cifar10.py
# 1.6M parameters; batch 64, 20 epochs (1 warmup epoch, then cosine).
_base_ = ['./vit_deep16_e2e_cifar10.py']
model = dict(backbone=dict(arch=dict(num_layers=32)))
