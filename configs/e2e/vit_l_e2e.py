# ViT-L trained end to end with the same DeiT recipe for 300 epochs (the
# baseline), total batch 2048; also evaluates incubation's exports:
#   python tools/test.py configs/e2e/vit_l_e2e.py work_dirs/vit_l_k4/final.pth
_base_ = [
    '../_base_/models/vit_l_in1k.py', '../_base_/datasets/imagenet_deit.py',
    '../_base_/schedules/incubation_paper.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(drop_path_rate=0.5),
    data_preprocessor={{_base_.data_preprocessor}})
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / 2e-3, by_epoch=True, begin=0,
         end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=20,
         end=300, convert_to_iter_based=True),
]
custom_hooks = []
train_cfg = dict(_delete_=True, by_epoch=True, max_epochs=300,
                 val_interval=10)
optim_wrapper = dict(clip_grad=None)
