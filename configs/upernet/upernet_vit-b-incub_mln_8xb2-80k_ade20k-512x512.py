# UperNet, ADE20K 512x512 crops, 80k iterations at total batch 16, with the
# Deep Incubation ViT-B: `final.pth` of
# `tools/train.py configs/incubate/vit_b_k4.py` (or a converted official
# model, see docs/checkpoints.md). Layer-wise lr decay 0.65.
_base_ = [
    '../_base_/models/upernet_vit-b_mln.py',
    'mmseg::_base_/datasets/ade20k.py',
    '../_base_/schedules/upernet_adamw_80k.py'
]
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_b_k4/final.pth')))
train_dataloader = dict(batch_size=2)
