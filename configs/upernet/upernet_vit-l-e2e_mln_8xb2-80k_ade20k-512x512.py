# E2E twin of upernet_vit-l-incub_mln_8xb2-80k_ade20k-512x512.py: the same
# recipe from the end-to-end trained ViT-L (`tools/train.py
# configs/e2e/vit_l_e2e.py`).
_base_ = './upernet_vit-l-incub_mln_8xb2-80k_ade20k-512x512.py'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_l_e2e/epoch_300.pth')))
