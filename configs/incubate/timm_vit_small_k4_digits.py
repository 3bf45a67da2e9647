# The digits demo with a timm ViT (timm's vit_small_patch16_224 at the
# demo's size: 8 blocks of width 64, patch 2) through mmpretrain's
# TIMMBackbone as the target; K=4, schedule as in vit_tiny_k4_digits.py.
# TIMMBackbone returns every token, so a neck pools them (cls token).
#   python tools/train.py configs/incubate/timm_vit_small_k4_digits.py
# Any timm VisionTransformer works the same way: set model_name (e.g.
# deit3_small_patch16_224; register tokens: timm_vit_reg4_k4_digits.py).
_base_ = ['./vit_tiny_k4_digits.py']
model = dict(target=dict(
    backbone=dict(_delete_=True, type='TIMMBackbone',
                  model_name='vit_small_patch16_224', img_size=8,
                  patch_size=2, in_channels=1, embed_dim=64, depth=8,
                  num_heads=4, mlp_ratio=2.0),
    neck=dict(_delete_=True, type='TokenPoolNeck', pool='token',
              num_prefix_tokens=1)))
