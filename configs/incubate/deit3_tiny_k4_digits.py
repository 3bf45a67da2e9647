# The digits demo with mmpretrain's DeiT3 (layer scale, position embedding
# on the patches only) as the target; everything else as in
# vit_tiny_k4_digits.py (8 blocks of width 64, K=4, meta 4 blocks).
#   python tools/train.py configs/incubate/deit3_tiny_k4_digits.py
# Evaluate or fine-tune its exports with configs/e2e/deit3_tiny_e2e_digits.py.
_base_ = ['./vit_tiny_k4_digits.py']
model = dict(target=dict(backbone=dict(type='DeiT3')))
