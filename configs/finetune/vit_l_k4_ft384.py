# High-resolution fine-tuning of the incubated ViT-L at 384 px (paper: 85.3
# top-1, from 83.9 at 224); the recipe of vit_b_k4_ft384.py (its bases,
# DeiT's), drop path 0.5 as in ViT-L's 224 fine-tuning.
#   bash tools/dist_train.sh configs/finetune/vit_l_k4_ft384.py 8
# E2E twin: configs/finetune/vit_l_e2e_ft384.py.
_base_ = [
    '../_base_/models/vit_l_in1k.py',
    '../_base_/datasets/imagenet_deit_hires.py',
    '../_base_/schedules/hires_finetune_incubation.py',
    '../_base_/default_runtime.py'
]
# the incubated model of configs/incubate/vit_l_k4.py, its target at 384 px
model = dict(
    _delete_=True,
    type='DeepIncubation',
    target=dict(
        _base_.model, backbone=dict(_base_.model.backbone, img_size=384)),
    num_modules=4,
    data_preprocessor={{_base_.data_preprocessor}},
    target_checkpoint='work_dirs/vit_l_k4/final.pth')
train_cfg = _base_.train_cfg
train_cfg.phases[0].drop_path_rate = 0.5
