# E2E twin of upernet_vit-h-incub_mln_8xb2-80k_ade20k-512x512.py: the same
# recipe from the end-to-end trained ViT-H (`tools/train.py
# configs/e2e/vit_h_e2e.py`).
_base_ = './upernet_vit-h-incub_mln_8xb2-80k_ade20k-512x512.py'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_h_e2e/epoch_300.pth')))
