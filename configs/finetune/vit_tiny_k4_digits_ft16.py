# High-resolution fine-tuning at CPU scale: the incubated digits ViT
# (configs/incubate/vit_tiny_k4_digits.py, trained at 8x8) fine-tuned at
# twice its resolution, 16x16 (8 x 8 patches instead of 4 x 4; the position
# embedding is interpolated, bicubic, when final.pth loads), with the
# recipe shape of vit_b_k4_ft384.py: a short fine-tuning at a low constant lr.
#   python tools/train.py configs/finetune/vit_tiny_k4_digits_ft16.py
# E2E twin: configs/finetune/vit_tiny_e2e_digits_ft16.py.
_base_ = ['../incubate/vit_tiny_k4_digits.py', '../_base_/datasets/digits_16_pipelines.py']
model = dict(
    target=dict(backbone=dict(img_size=16)),
    target_checkpoint='work_dirs/vit_tiny_k4_digits/final.pth')
train_dataloader = dict(
    dataset=dict(pipeline={{_base_.digits_train_pipeline_16}}))
val_dataloader = dict(
    dataset=dict(pipeline={{_base_.digits_test_pipeline_16}}))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-4), clip_grad=None)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
train_cfg = dict(phases=[
    dict(phase='finetune', max_epochs=5, val_interval=5, drop_path_rate=0.1)
])
