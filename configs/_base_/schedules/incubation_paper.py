# Deep Incubation's ImageNet schedule for K=4 (DeiT's optimiser at total batch
# 2048): meta 300 / incubate 100 (all modules in parallel) / fine-tune 100
# epochs, warmup 20 epochs in meta and incubate, none in fine-tuning, drop
# path 0 / 0.1 / 0.1, grad clip 1.0 in fine-tuning. A leaf that changes one
# phase value edits the inherited list, e.g. (configs/incubate/vit_l_k4.py):
#   train_cfg = _base_.train_cfg
#   train_cfg.phases[2].drop_path_rate = 0.5
_base_ = './deit_adamw.py'

# warmup from 1e-6 for 20 epochs, then cosine to 1e-5 (end: the phase end)
warmup_cosine = [
    dict(type='LinearLR', start_factor=1e-6 / 2e-3, by_epoch=True, begin=0,
         end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=20,
         convert_to_iter_based=True),
]
cosine = [
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         convert_to_iter_based=True),
]
param_scheduler = warmup_cosine
train_cfg = dict(
    type='IncubationLoop',
    phases=[
        dict(phase='meta', max_epochs=300, val_interval=10,
             drop_path_rate=0.0, param_scheduler=warmup_cosine),
        dict(phase='incubate', max_epochs=100, val_interval=10,
             drop_path_rate=0.1, modules=[0, 1, 2, 3], mode='parallel',
             param_scheduler=warmup_cosine),
        dict(phase='finetune', max_epochs=100, val_interval=10,
             drop_path_rate=0.1, param_scheduler=cosine,
             optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
    ])
custom_hooks = [dict(type='IncubationHook')]
