# ViT-H (vit_h_arch.py: 32 blocks, width 1280, patch 14, no qkv bias,
# LayerNorm eps 1e-5, as in Deep Incubation) version of
# mask-rcnn_vit-b_simplefpn.py. Patch 14 puts the pyramid at strides
# 3.5/7/14/28/56; anchors and RoI extractors follow.
_base_ = ['./mask-rcnn_vit-b_simplefpn.py', './vit_h_arch.py']

model = dict(
    backbone=dict(
        **_base_.vit_h_arch,
        out_indices=(31, ),
        drop_path_rate=0.5,
        with_cp=True),
    neck=dict(in_channels=1280),
    rpn_head=dict(anchor_generator=dict(strides=[3.5, 7, 14, 28, 56])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[3.5, 7, 14, 28]),
        mask_roi_extractor=dict(featmap_strides=[3.5, 7, 14, 28])))
