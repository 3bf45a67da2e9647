# Mask R-CNN 3x (36 epochs, 1333x800 multi-scale, total batch 16) with the
# Deep Incubation ViT-H: `final.pth` of
# `tools/train.py configs/incubate/vit_h_k4.py` (or a converted official
# model, see docs/checkpoints.md). Layer-wise lr decay 0.9.
_base_ = [
    '../_base_/models/mask-rcnn_vit-h_simplefpn.py',
    '../_base_/datasets/coco_instance_ms.py',
    '../_base_/schedules/mask-rcnn_adamw_3x.py'
]
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_h_k4/final.pth')))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.9))
