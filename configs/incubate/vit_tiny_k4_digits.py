# The CPU demo: the whole Deep Incubation pipeline on scikit-learn's real
# 8x8 digits in a few minutes on 2 cores.
#   python tools/train.py configs/incubate/vit_tiny_k4_digits.py
# Target: 8-block ViT (width 64) in K=4 modules of 2 blocks; meta model:
# 4 blocks. Phases: meta 30 epochs -> incubate all modules in parallel 10
# epochs -> fine-tune 40 epochs, all at the top-level lr (1e-3, so
# --cfg-options optim_wrapper.optimizer.lr=X sets every phase's);
# validation every 10 epochs and after every phase.
_base_ = [
    '../_base_/models/vit_tiny_digits.py', '../_base_/datasets/digits.py',
    '../_base_/schedules/digits_adamw.py', '../_base_/default_runtime.py'
]
model = dict(
    _delete_=True,
    type='DeepIncubation',
    target={{_base_.model}},
    num_modules=4,
    data_preprocessor={{_base_.data_preprocessor}},
)
train_cfg = dict(
    type='IncubationLoop',
    phases=[
        dict(phase='meta', max_epochs=30, val_interval=10,
             drop_path_rate=0.0),
        dict(phase='incubate', max_epochs=10, val_interval=10,
             drop_path_rate=0.1, mode='parallel'),
        dict(phase='finetune', max_epochs=40, val_interval=10,
             drop_path_rate=0.1,
             optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
    ])
custom_hooks = [dict(type='IncubationHook')]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
