# High-resolution fine-tuning of the end-to-end ViT-B at 384 px (paper's E2E:
# 83.1 top-1), the incubated twin's recipe (vit_b_k4_ft384.py, DeiT's): 30
# epochs at batch 512, AdamW constant lr 5e-6, wd 1e-8, drop path 0.1.
# Starts from the 224 E2E model; the position embedding is interpolated.
#   bash tools/dist_train.sh configs/finetune/vit_b_e2e_ft384.py 8
_base_ = [
    '../e2e/vit_b_e2e.py',
    '../_base_/datasets/imagenet_deit_hires_pipelines.py'
]
model = dict(backbone=dict(img_size=384, drop_path_rate=0.1))
load_from = 'work_dirs/vit_b_e2e/epoch_300.pth'
train_dataloader = dict(
    batch_size=64, dataset=dict(pipeline={{_base_.train_pipeline_384}}))
val_dataloader = dict(
    batch_size=64, dataset=dict(pipeline={{_base_.test_pipeline_384}}))
test_dataloader = val_dataloader
optim_wrapper = dict(
    optimizer=dict(lr=5e-6, weight_decay=1e-8), clip_grad=None)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
train_cfg = dict(max_epochs=30, val_interval=5)
auto_scale_lr = dict(base_batch_size=512)
