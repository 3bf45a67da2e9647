# ViT-L classifier for ImageNet-1k as in Deep Incubation: patch 16,
# qkv bias True, LayerNorm eps 1e-6; otherwise as vit_b_in1k.py.
_base_ = './vit_b_in1k.py'

model = dict(
    backbone=dict(arch='l'),
    head=dict(in_channels=1024))
