# Mask R-CNN with the Deep Incubation ViT-H at ViTDet's LSJ recipe: 1024x1024
# large-scale jitter, ~100 epochs at total batch 64 (8 GPUs x 8), AdamW lr
# 1e-4, wd 0.1, layer-wise lr decay 0.9, AMP. Global attention in every
# block (no windowed attention), with activation checkpointing
# (`with_cp=True`, from the ViT-H model base): compute traded for memory.
_base_ = [
    '../_base_/models/mask-rcnn_vit-h_simplefpn.py',
    '../_base_/datasets/coco_instance_lsj_1024.py',
    '../_base_/schedules/mask-rcnn_adamw_lsj-100e.py'
]
model = dict(
    data_preprocessor={{_base_.lsj_data_preprocessor}},
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_h_k4/final.pth')))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.9))
