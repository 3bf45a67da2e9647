# High-resolution fine-tuning of the incubated ViT-H at 392 px (patch 14:
# 28 x 28 tokens; paper: 85.6 top-1, from 84.3 at 224); the recipe of
# vit_b_k4_ft384.py (DeiT's), drop path 0.6 as in ViT-H's 224 fine-tuning.
#   bash tools/dist_train.sh configs/finetune/vit_h_k4_ft392.py 8
# E2E twin: configs/finetune/vit_h_e2e_ft392.py.
_base_ = './vit_b_k4_ft384.py'
model = dict(
    target=dict(
        backbone=dict(
            arch='h',
            img_size=392,
            patch_size=14,
            qkv_bias=False,
            norm_cfg=dict(type='LN', eps=1e-5)),
        head=dict(in_channels=1280)),
    target_checkpoint='work_dirs/vit_h_k4/final.pth')
train_dataloader = dict(dataset=dict(pipeline={{_base_.train_pipeline_392}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_392}}))
test_dataloader = val_dataloader
train_cfg = dict(phases=[
    dict(phase='finetune', max_epochs=30, val_interval=5, drop_path_rate=0.6)
])
