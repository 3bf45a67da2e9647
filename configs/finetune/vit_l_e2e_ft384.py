# High-resolution fine-tuning of the end-to-end ViT-L at 384 px (paper's E2E:
# 83.3 top-1), the recipe of vit_b_e2e_ft384.py (its bases), drop path 0.5.
#   bash tools/dist_train.sh configs/finetune/vit_l_e2e_ft384.py 8
_base_ = [
    '../_base_/models/vit_l_in1k.py',
    '../_base_/datasets/imagenet_deit_hires.py',
    '../_base_/schedules/hires_finetune.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(img_size=384, drop_path_rate=0.5),
    data_preprocessor={{_base_.data_preprocessor}})
load_from = 'work_dirs/vit_l_e2e/epoch_300.pth'
