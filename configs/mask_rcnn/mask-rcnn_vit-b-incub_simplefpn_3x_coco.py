# Mask R-CNN 3x (36 epochs, 1333x800 multi-scale, total batch 16) with the
# Deep Incubation ViT-B: `final.pth` of
# `tools/train.py configs/incubate/vit_b_k4.py` (or a converted official
# model, see docs/checkpoints.md). Layer-wise lr decay 0.7.
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_simplefpn.py',
    '../_base_/datasets/coco_instance_ms.py',
    '../_base_/schedules/mask-rcnn_adamw_3x.py'
]
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_b_k4/final.pth')))
