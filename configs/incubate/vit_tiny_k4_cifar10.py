# Deep Incubation of a tiny ViT on real CIFAR-10 (32x32), after
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10
#   python tools/train.py configs/incubate/vit_tiny_k4_cifar10.py
#   python tools/test.py configs/e2e/vit_tiny_e2e_cifar10.py \
#       work_dirs/vit_tiny_k4_cifar10/final.pth
# Target: the E2E twin's ViT (8 blocks of width 128, 4x4 patches) in K=4
# modules of 2 blocks; meta model: 4 blocks. Phases (batch 128, 352
# iterations an epoch): meta 20 epochs -> incubate all modules in parallel
# 10 epochs -> fine-tune 10 epochs; one warmup epoch in meta and incubate;
# validation every 5 epochs and after every phase. Minutes on a small GPU,
# a few hours on 2 CPU cores (add 'mode=sequential' to incubate one module
# at a time on a GPU with little memory).
_base_ = ['../e2e/vit_tiny_e2e_cifar10.py']
model = dict(
    _delete_=True,
    type='DeepIncubation',
    target={{_base_.model}},
    num_modules=4,
)
# begin/end count from each phase's start; a missing end is the phase end
warmup_cosine = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1,
         convert_to_iter_based=True),
]
cosine = [
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         convert_to_iter_based=True),
]
param_scheduler = warmup_cosine
train_cfg = dict(
    _delete_=True,
    type='IncubationLoop',
    phases=[
        dict(phase='meta', max_epochs=20, val_interval=5,
             drop_path_rate=0.0, param_scheduler=warmup_cosine),
        dict(phase='incubate', max_epochs=10, val_interval=5,
             drop_path_rate=0.1, mode='parallel',
             param_scheduler=warmup_cosine),
        dict(phase='finetune', max_epochs=10, val_interval=5,
             drop_path_rate=0.1, param_scheduler=cosine,
             optim_wrapper=dict(
                 optimizer=dict(lr=5e-4),
                 clip_grad=dict(max_norm=1.0))),
    ])
custom_hooks = [dict(type='IncubationHook')]
