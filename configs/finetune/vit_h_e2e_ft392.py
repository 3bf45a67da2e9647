# High-resolution fine-tuning of the end-to-end ViT-H at 392 px (paper's E2E:
# 83.4 top-1), the recipe of vit_b_e2e_ft384.py (its bases) with the 392 px
# pipelines, drop path 0.6.
#   bash tools/dist_train.sh configs/finetune/vit_h_e2e_ft392.py 8
_base_ = [
    '../_base_/models/vit_h_in1k.py',
    '../_base_/datasets/imagenet_deit_hires.py',
    '../_base_/schedules/hires_finetune.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(img_size=392, drop_path_rate=0.6),
    data_preprocessor={{_base_.data_preprocessor}})
load_from = 'work_dirs/vit_h_e2e/epoch_300.pth'
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_392}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_392}}))
test_dataloader = val_dataloader
