# High-resolution fine-tuning of the end-to-end ViT-H at 392 px (paper's E2E:
# 83.4 top-1), the recipe of vit_b_e2e_ft384.py, drop path 0.6.
#   bash tools/dist_train.sh configs/finetune/vit_h_e2e_ft392.py 8
_base_ = './vit_b_e2e_ft384.py'
model = dict(
    backbone=dict(
        arch='h',
        img_size=392,
        patch_size=14,
        qkv_bias=False,
        norm_cfg=dict(type='LN', eps=1e-5),
        drop_path_rate=0.6),
    head=dict(in_channels=1280))
load_from = 'work_dirs/vit_h_e2e/epoch_300.pth'
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_392}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_392}}))
test_dataloader = val_dataloader
