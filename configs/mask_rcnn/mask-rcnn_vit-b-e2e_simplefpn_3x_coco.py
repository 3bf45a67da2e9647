# E2E twin of mask-rcnn_vit-b-incub_simplefpn_3x_coco.py: the same recipe from
# the end-to-end trained ViT-B (`tools/train.py configs/e2e/vit_b_e2e.py`).
_base_ = './mask-rcnn_vit-b-incub_simplefpn_3x_coco.py'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_b_e2e/epoch_300.pth')))
