# High-resolution fine-tuning of the incubated ViT-B at 384 px (paper: 84.2
# top-1, from 82.4 at 224). The paper publishes no high-resolution recipe;
# this is DeiT's: 30 epochs at total batch 512 (8 GPUs x 64), AdamW at a
# constant lr 5e-6, weight decay 1e-8, no warmup, drop path as at 224,
# Mixup/CutMix and augmentations as at 224 (imagenet_deit_hires_pipelines.py).
# Starts from the 224 fine-tuned model; the position embedding (14 x 14) is
# interpolated (bicubic) to 24 x 24 when the weights load.
#   bash tools/dist_train.sh configs/finetune/vit_b_k4_ft384.py 8
# E2E twin: configs/finetune/vit_b_e2e_ft384.py (differs only in the weights).
_base_ = [
    '../incubate/vit_b_k4.py',
    '../_base_/datasets/imagenet_deit_hires_pipelines.py'
]
model = dict(
    target=dict(backbone=dict(img_size=384)),
    target_checkpoint='work_dirs/vit_b_k4/final.pth')
train_dataloader = dict(
    batch_size=64, dataset=dict(pipeline={{_base_.train_pipeline_384}}))
val_dataloader = dict(
    batch_size=64, dataset=dict(pipeline={{_base_.test_pipeline_384}}))
test_dataloader = val_dataloader
optim_wrapper = dict(
    optimizer=dict(lr=5e-6, weight_decay=1e-8), clip_grad=None)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
train_cfg = dict(phases=[
    dict(phase='finetune', max_epochs=30, val_interval=5, drop_path_rate=0.1)
])
auto_scale_lr = dict(base_batch_size=512)
