# The digits demo with a deeper meta model (the meta-depth ablation):
#   python tools/train.py configs/incubate/vit_tiny_k4_digits_meta2.py
# Target: the 8-block ViT of vit_tiny_k4_digits.py in K=4 modules of 2
# blocks; meta model: 2 blocks per module (8 blocks, where the paper's has
# 1 per module), module i incubated in place of meta blocks 2i and 2i+1.
# The demo's phases and lengths.
_base_ = ['./vit_tiny_k4_digits.py']
model = dict(meta_blocks_per_module=2)
