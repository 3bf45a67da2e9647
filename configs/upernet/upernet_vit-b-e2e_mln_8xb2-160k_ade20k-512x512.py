# E2E twin of upernet_vit-b-incub_mln_8xb2-160k_ade20k-512x512.py: the same
# recipe from the end-to-end trained ViT-B (`tools/train.py
# configs/e2e/vit_b_e2e.py`).
_base_ = './upernet_vit-b-incub_mln_8xb2-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_b_e2e/epoch_300.pth')))
