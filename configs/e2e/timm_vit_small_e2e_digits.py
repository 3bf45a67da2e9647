# The digits timm ViT trained end to end, and the config that evaluates the
# exports of configs/incubate/timm_vit_small_k4_digits.py:
#   python tools/test.py configs/e2e/timm_vit_small_e2e_digits.py \
#       work_dirs/timm_vit_small_k4_digits/final.pth
_base_ = ['./vit_tiny_e2e_digits.py']
model = dict(
    backbone=dict(_delete_=True, type='TIMMBackbone',
                  model_name='vit_small_patch16_224', img_size=8,
                  patch_size=2, in_channels=1, embed_dim=64, depth=8,
                  num_heads=4, mlp_ratio=2.0),
    neck=dict(_delete_=True, type='TokenPoolNeck', pool='token',
              num_prefix_tokens=1))
