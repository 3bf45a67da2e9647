# ViT-L trained end to end with the same DeiT recipe for 300 epochs (the
# baseline), total batch 2048; also evaluates incubation's exports:
#   python tools/test.py configs/e2e/vit_l_e2e.py work_dirs/vit_l_k4/final.pth
_base_ = './vit_b_e2e.py'

model = dict(
    backbone=dict(arch='l', drop_path_rate=0.5),
    head=dict(in_channels=1024))
