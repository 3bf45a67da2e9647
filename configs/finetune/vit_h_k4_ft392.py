# High-resolution fine-tuning of the incubated ViT-H at 392 px (patch 14:
# 28 x 28 tokens; paper: 85.6 top-1, from 84.3 at 224); the recipe of
# vit_b_k4_ft384.py (its bases, DeiT's) with the 392 px pipelines, drop path
# 0.6 as in ViT-H's 224 fine-tuning.
#   bash tools/dist_train.sh configs/finetune/vit_h_k4_ft392.py 8
# E2E twin: configs/finetune/vit_h_e2e_ft392.py.
_base_ = [
    '../_base_/models/vit_h_in1k.py',
    '../_base_/datasets/imagenet_deit_hires.py',
    '../_base_/schedules/hires_finetune_incubation.py',
    '../_base_/default_runtime.py'
]
# the incubated model of configs/incubate/vit_h_k4.py, its target at 392 px
model = dict(
    _delete_=True,
    type='DeepIncubation',
    target=dict(
        _base_.model, backbone=dict(_base_.model.backbone, img_size=392)),
    num_modules=4,
    data_preprocessor={{_base_.data_preprocessor}},
    target_checkpoint='work_dirs/vit_h_k4/final.pth')
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_392}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_392}}))
test_dataloader = val_dataloader
train_cfg = _base_.train_cfg
train_cfg.phases[0].drop_path_rate = 0.6
