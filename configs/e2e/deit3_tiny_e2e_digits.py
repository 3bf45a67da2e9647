# The digits DeiT3 trained end to end, and the config that evaluates the
# exports of configs/incubate/deit3_tiny_k4_digits.py:
#   python tools/test.py configs/e2e/deit3_tiny_e2e_digits.py \
#       work_dirs/deit3_tiny_k4_digits/final.pth
_base_ = ['./vit_tiny_e2e_digits.py']
model = dict(backbone=dict(type='DeiT3'))
