# Mask R-CNN with the Deep Incubation ViT-H at ViTDet's LSJ recipe: 1024x1024
# large-scale jitter, ~100 epochs at total batch 64 (8 GPUs x 8), AdamW lr
# 1e-4, wd 0.1, layer-wise lr decay 0.9, AMP. Global attention in every
# block (no windowed attention); set `model.backbone.with_cp=True` to trade
# compute for memory.
_base_ = [
    '../_base_/models/mask-rcnn_vit-h_simplefpn.py',
    '../_base_/datasets/coco_instance_lsj_1024.py',
    '../_base_/schedules/mask-rcnn_adamw_lsj-100e.py'
]
model = dict(
    # pad every batch to 1024x1024, at test time too (the position embedding
    # sees the layout of training; img_shape stays the image's)
    data_preprocessor=dict(pad_size_divisor=1024, batch_augments=[
        dict(type='BatchFixedSizePad', size=(1024, 1024), pad_mask=True)
    ]),
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_h_k4/final.pth')))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.9))
