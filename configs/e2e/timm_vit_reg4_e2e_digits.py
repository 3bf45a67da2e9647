# The E2E twin of configs/incubate/timm_vit_reg4_k4_digits.py.
#   python tools/test.py configs/e2e/timm_vit_reg4_e2e_digits.py \
#       work_dirs/timm_vit_reg4_k4_digits/final.pth
_base_ = ['./timm_vit_small_e2e_digits.py']
model = dict(
    backbone=dict(model_name='vit_little_patch16_reg4_gap_256'),
    neck=dict(pool='avg', num_prefix_tokens=4))
