# The digits ViT trained end to end (the baseline of the incubation demo).
# Also the config that evaluates incubation's assembled.pth / final.pth:
#   python tools/test.py configs/e2e/vit_tiny_e2e_digits.py \
#       work_dirs/vit_tiny_k4_digits/final.pth
_base_ = [
    '../_base_/models/vit_tiny_digits.py', '../_base_/datasets/digits.py',
    '../_base_/schedules/digits_adamw.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor={{_base_.data_preprocessor}})
train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=5)
default_hooks = dict(logger=dict(interval=10))
