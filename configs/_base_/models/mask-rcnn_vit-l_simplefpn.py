# ViT-L (24 blocks, width 1024, patch 16) version of
# mask-rcnn_vit-b_simplefpn.py.
_base_ = './mask-rcnn_vit-b_simplefpn.py'

model = dict(
    backbone=dict(arch='l', out_indices=(23, ), drop_path_rate=0.4),
    neck=dict(in_channels=1024))
