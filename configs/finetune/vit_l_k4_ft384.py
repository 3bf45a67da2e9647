# High-resolution fine-tuning of the incubated ViT-L at 384 px (paper: 85.3
# top-1, from 83.9 at 224); the recipe of vit_b_k4_ft384.py (DeiT's), drop
# path 0.5 as in ViT-L's 224 fine-tuning.
#   bash tools/dist_train.sh configs/finetune/vit_l_k4_ft384.py 8
# E2E twin: configs/finetune/vit_l_e2e_ft384.py.
_base_ = './vit_b_k4_ft384.py'
model = dict(
    target=dict(backbone=dict(arch='l'), head=dict(in_channels=1024)),
    target_checkpoint='work_dirs/vit_l_k4/final.pth')
train_cfg = dict(phases=[
    dict(phase='finetune', max_epochs=30, val_interval=5, drop_path_rate=0.5)
])
