# ViT-H classifier for ImageNet-1k as in Deep Incubation: patch 14,
# qkv bias False, LayerNorm eps 1e-5; otherwise as vit_b_in1k.py.
_base_ = './vit_b_in1k.py'

model = dict(
    backbone=dict(
        arch='h',
        patch_size=14,
        qkv_bias=False,
        norm_cfg=dict(type='LN', eps=1e-5)),
    head=dict(in_channels=1280))
