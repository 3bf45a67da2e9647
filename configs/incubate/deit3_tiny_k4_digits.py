# The digits demo with mmpretrain's DeiT3 (layer scale, position embedding
# on the patches only) as the target; everything else as in
# vit_tiny_k4_digits.py (8 blocks of width 64, K=4, meta 4 blocks).
#   python tools/train.py configs/incubate/deit3_tiny_k4_digits.py
# Evaluate or fine-tune its exports with configs/e2e/deit3_tiny_e2e_digits.py.
_base_ = ['./vit_tiny_k4_digits.py']
model = dict(target=dict(backbone=dict(type='DeiT3')))
# mmpretrain 1.2.0's DeiT3 layer applies ln1 twice and never uses its ln2,
# whose parameters therefore get no gradient: DDP must allow that.
find_unused_parameters = True
