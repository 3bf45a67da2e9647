# Decoupled greedy learning (DGL, Belilovsky et al., ICML 2020) of the
# digits target: the 8-block ViT of configs/incubate/vit_tiny_k4_digits.py
# in K=4 modules of 2 blocks, each trained on its own linear auxiliary
# classifier (norm, cls-token pooling, linear), the gradient stopped
# between modules; then the assembled target fine-tuned end to end.
#   python tools/train.py configs/local/vit_tiny_k4_digits_dgl.py
# Phases: local 40 epochs (all modules every step) -> fine-tune 40 epochs,
# at the top-level lr (1e-3); validation every 10 epochs and after each.
_base_ = [
    '../_base_/models/vit_tiny_digits.py', '../_base_/datasets/digits.py',
    '../_base_/schedules/digits_adamw.py', '../_base_/default_runtime.py'
]
model = dict(
    _delete_=True,
    type='LocalLearning',
    target={{_base_.model}},
    num_modules=4,
    aux_net='linear',
    lambda_ce=1.0,
    lambda_rec=0.0,
    data_preprocessor={{_base_.data_preprocessor}},
)
train_cfg = dict(
    type='IncubationLoop',
    phases=[
        dict(phase='local', max_epochs=40, val_interval=10,
             drop_path_rate=0.1),
        dict(phase='finetune', max_epochs=40, val_interval=10,
             drop_path_rate=0.1,
             optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
    ])
custom_hooks = [dict(type='IncubationHook')]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
