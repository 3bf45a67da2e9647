# ViT-H (vit_h_arch.py: 32 blocks, width 1280, patch 14, no qkv bias,
# LayerNorm eps 1e-5, as in Deep Incubation) version of upernet_vit-b_mln.py:
# blocks 7, 15, 23, 31.
_base_ = ['./upernet_vit-b_mln.py', './vit_h_arch.py']

model = dict(
    backbone=dict(
        **_base_.vit_h_arch,
        out_indices=(7, 15, 23, 31),
        drop_path_rate=0.3,
        with_cp=True),
    neck=dict(in_channels=[1280] * 4, out_channels=1280),
    decode_head=dict(in_channels=[1280] * 4),
    auxiliary_head=dict(in_channels=1280))
