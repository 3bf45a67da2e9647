# Mask R-CNN with a plain ViT-B (plain_vit_b.py: mmpretrain names, global
# attention in every block, no windowing) and ViTDet's simple feature pyramid:
# the last block's map (stride 16) is resampled to strides 4/8/16/32, plus a
# max-pooled stride-64 level, each with LayerNorm over channels, into mmdet's
# standard RPN and RoI heads. The backbone loads a classifier checkpoint
# strictly (every backbone key, or an error with the key lists); the leaf
# configs set `model.backbone.init_cfg.checkpoint`.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50_fpn.py', './plain_vit_b.py']

model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(_delete_=True, **_base_.plain_vit_b, out_indices=(11, )),
    neck=dict(
        _delete_=True,
        type='mmincubate.SimpleFeaturePyramid',
        in_channels=768,
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5),
        num_outs=5,
        norm_eps=1e-6),
    # strides are patch/4 .. 4*patch
    rpn_head=dict(anchor_generator=dict(strides=[4, 8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[4, 8, 16, 32]),
        mask_roi_extractor=dict(featmap_strides=[4, 8, 16, 32])))
