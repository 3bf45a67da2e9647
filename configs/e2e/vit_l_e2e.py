# ViT-L trained end to end with the same DeiT recipe for 300 epochs (the
# baseline), total batch 2048; also evaluates incubation's exports:
#   python tools/test.py configs/e2e/vit_l_e2e.py work_dirs/vit_l_k4/final.pth
_base_ = [
    '../_base_/models/vit_l_in1k.py', '../_base_/datasets/imagenet_deit.py',
    '../_base_/schedules/e2e_paper.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(drop_path_rate=0.5),
    data_preprocessor={{_base_.data_preprocessor}})
