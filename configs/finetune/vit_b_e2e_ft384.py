# High-resolution fine-tuning of the end-to-end ViT-B at 384 px (paper's E2E:
# 83.1 top-1), the incubated twin's recipe (vit_b_k4_ft384.py, DeiT's:
# _base_/schedules/hires_finetune.py): 30 epochs at batch 512, AdamW constant
# lr 5e-6, wd 1e-8, drop path 0.1.
# Starts from the 224 E2E model; the position embedding is interpolated.
#   bash tools/dist_train.sh configs/finetune/vit_b_e2e_ft384.py 8
_base_ = [
    '../_base_/models/vit_b_in1k.py',
    '../_base_/datasets/imagenet_deit_hires.py',
    '../_base_/schedules/hires_finetune.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(img_size=384, drop_path_rate=0.1),
    data_preprocessor={{_base_.data_preprocessor}})
load_from = 'work_dirs/vit_b_e2e/epoch_300.pth'
