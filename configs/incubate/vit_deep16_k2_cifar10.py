# The deep, narrow CIFAR-10 ViT (16 blocks of width 64) split into K=2
# modules (the K ablation of vit_deep16_k4_cifar10.py):
#   python tools/train.py configs/incubate/vit_deep16_k2_cifar10.py
# 2 modules of 8 blocks; meta model: 2 blocks; the same
# phases and lengths, every module incubated in parallel.
_base_ = ['./vit_deep16_k4_cifar10.py']
model = dict(num_modules=2)
