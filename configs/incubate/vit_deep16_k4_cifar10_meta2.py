# The CIFAR-10 deep model with a deeper meta model (the meta-depth
# ablation):
#   python tools/train.py configs/incubate/vit_deep16_k4_cifar10_meta2.py
# Target: the 16-block ViT of vit_deep16_k4_cifar10.py in K=4 modules of 4
# blocks; meta model: 2 blocks per module (8 blocks, where the paper's has
# 1 per module). The same phases and lengths.
_base_ = ['./vit_deep16_k4_cifar10.py']
model = dict(meta_blocks_per_module=2)
