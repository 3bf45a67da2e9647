# High-resolution fine-tuning of the incubated ViT-B at 384 px (paper: 84.2
# top-1, from 82.4 at 224). The paper publishes no high-resolution recipe;
# this is DeiT's (_base_/schedules/hires_finetune.py): 30 epochs at total
# batch 512 (8 GPUs x 64), AdamW at a constant lr 5e-6, weight decay 1e-8, no
# warmup, drop path as at 224, Mixup/CutMix and augmentations as at 224
# (imagenet_deit_hires_pipelines.py). Starts from the 224 fine-tuned model;
# the position embedding (14 x 14) is interpolated (bicubic) to 24 x 24 when
# the weights load.
#   bash tools/dist_train.sh configs/finetune/vit_b_k4_ft384.py 8
# E2E twin: configs/finetune/vit_b_e2e_ft384.py (differs only in the weights).
_base_ = [
    '../_base_/models/vit_b_in1k.py',
    '../_base_/datasets/imagenet_deit_hires.py',
    '../_base_/schedules/hires_finetune_incubation.py',
    '../_base_/default_runtime.py'
]
# the incubated model of configs/incubate/vit_b_k4.py, its target at 384 px
model = dict(
    _delete_=True,
    type='DeepIncubation',
    target=dict(
        _base_.model, backbone=dict(_base_.model.backbone, img_size=384)),
    num_modules=4,
    data_preprocessor={{_base_.data_preprocessor}},
    target_checkpoint='work_dirs/vit_b_k4/final.pth')
