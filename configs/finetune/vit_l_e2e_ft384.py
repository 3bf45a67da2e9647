# High-resolution fine-tuning of the end-to-end ViT-L at 384 px (paper's E2E:
# 83.3 top-1), the recipe of vit_b_e2e_ft384.py, drop path 0.5.
#   bash tools/dist_train.sh configs/finetune/vit_l_e2e_ft384.py 8
_base_ = './vit_b_e2e_ft384.py'
model = dict(
    backbone=dict(arch='l', drop_path_rate=0.5),
    head=dict(in_channels=1024))
load_from = 'work_dirs/vit_l_e2e/epoch_300.pth'
