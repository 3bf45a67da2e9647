# UperNet, ADE20K 512x512 crops, 160k iterations at total batch 16, with the
# Deep Incubation ViT-L: `final.pth` of
# `tools/train.py configs/incubate/vit_l_k4.py` (or a converted official
# model, see docs/checkpoints.md). Layer-wise lr decay 0.75.
_base_ = [
    '../_base_/models/upernet_vit-l_mln.py',
    'mmseg::_base_/datasets/ade20k.py',
    '../_base_/schedules/upernet_adamw_160k.py'
]
model = dict(
    backbone=dict(init_cfg=dict(checkpoint='work_dirs/vit_l_k4/final.pth')))
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.75))
