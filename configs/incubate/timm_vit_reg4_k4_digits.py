# As timm_vit_small_k4_digits.py with a register-token timm ViT
# (vit_little_patch16_reg4_gap_256: 4 register tokens, no cls token, layer
# scale, average pooling of the patch tokens).
#   python tools/train.py configs/incubate/timm_vit_reg4_k4_digits.py
_base_ = ['./timm_vit_small_k4_digits.py']
model = dict(target=dict(
    backbone=dict(model_name='vit_little_patch16_reg4_gap_256'),
    neck=dict(pool='avg', num_prefix_tokens=4)))
