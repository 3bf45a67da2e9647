# The E2E twin of vit_tiny_k4_digits_ft16.py: the end-to-end digits ViT
# (configs/e2e/vit_tiny_e2e_digits.py) fine-tuned at 16x16 with the same
# recipe; also evaluates the incubated 16x16 model:
#   python tools/test.py configs/finetune/vit_tiny_e2e_digits_ft16.py work_dirs/vit_tiny_k4_digits_ft16/final.pth
_base_ = ['../e2e/vit_tiny_e2e_digits.py', '../_base_/datasets/digits_16_pipelines.py']
model = dict(backbone=dict(img_size=16, drop_path_rate=0.1))
load_from = 'work_dirs/vit_tiny_e2e_digits/epoch_40.pth'
train_dataloader = dict(
    dataset=dict(pipeline={{_base_.digits_train_pipeline_16}}))
val_dataloader = dict(
    dataset=dict(pipeline={{_base_.digits_test_pipeline_16}}))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-4), clip_grad=None)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
train_cfg = dict(max_epochs=5, val_interval=5)
