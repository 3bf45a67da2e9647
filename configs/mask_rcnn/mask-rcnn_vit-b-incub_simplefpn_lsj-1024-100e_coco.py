# Mask R-CNN with the Deep Incubation ViT-B at ViTDet's LSJ recipe: 1024x1024
# large-scale jitter, ~100 epochs at total batch 64 (8 GPUs x 8), AdamW lr
# 1e-4, wd 0.1, layer-wise lr decay 0.7, AMP. Global attention in every
# block (no windowed attention); set `model.backbone.with_cp=True` to trade
# compute for memory.
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_simplefpn.py',
    '../_base_/datasets/coco_instance_lsj_1024.py',
    '../_base_/schedules/mask-rcnn_adamw_lsj-100e.py'
]
model = dict(
    data_preprocessor={{_base_.lsj_data_preprocessor}},
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_b_k4/final.pth')))
