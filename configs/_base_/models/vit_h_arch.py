# ViT-H as in Deep Incubation: 32 blocks, width 1280, patch 14, no qkv bias,
# LayerNorm eps 1e-5. These are the backbone fields every ViT-H model base
# changes in its ViT-B base (mmpretrain's VisionTransformer and
# mmincubate.PlainViT take the same names). Only a new name here, so a model
# base can list this file beside its ViT-B base in `_base_` and use
# `_base_.vit_h_arch`.
vit_h_arch = dict(
    arch='h',
    patch_size=14,
    qkv_bias=False,
    norm_cfg=dict(type='LN', eps=1e-5))
