# E2E twin of mask-rcnn_vit-l-incub_simplefpn_lsj-1024-100e_coco.py: the same
# recipe from the end-to-end trained ViT-L (`tools/train.py
# configs/e2e/vit_l_e2e.py`).
_base_ = './mask-rcnn_vit-l-incub_simplefpn_lsj-1024-100e_coco.py'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_l_e2e/epoch_300.pth')))
