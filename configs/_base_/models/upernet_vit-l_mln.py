# ViT-L (24 blocks, width 1024) version of upernet_vit-b_mln.py: blocks 5, 11,
# 17, 23.
_base_ = './upernet_vit-b_mln.py'

model = dict(
    backbone=dict(arch='l', out_indices=(5, 11, 17, 23), drop_path_rate=0.2),
    neck=dict(in_channels=[1024] * 4, out_channels=1024),
    decode_head=dict(in_channels=[1024] * 4),
    auxiliary_head=dict(in_channels=1024))
