# The deep, narrow CIFAR-10 ViT (16 blocks of width 64) split into K=8
# modules (the K ablation of vit_deep16_k4_cifar10.py):
#   python tools/train.py configs/incubate/vit_deep16_k8_cifar10.py
# 8 modules of 2 blocks; meta model: 8 blocks; the same
# phases and lengths, every module incubated in parallel.
_base_ = ['./vit_deep16_k4_cifar10.py']
model = dict(num_modules=8)
