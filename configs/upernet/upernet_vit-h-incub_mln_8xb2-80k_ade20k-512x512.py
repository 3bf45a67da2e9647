# UperNet, ADE20K 512x512 crops, 80k iterations at total batch 16, with the
# Deep Incubation ViT-H: `final.pth` of
# `tools/train.py configs/incubate/vit_h_k4.py` (or a converted official
# model, see docs/checkpoints.md). Layer-wise lr decay 0.8.
_base_ = [
    '../_base_/models/upernet_vit-h_mln.py',
    'mmseg::_base_/datasets/ade20k.py',
    '../_base_/schedules/upernet_adamw_80k.py'
]
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_h_k4/final.pth')))
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.8))
