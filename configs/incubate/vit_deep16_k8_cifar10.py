# The deep, narrow CIFAR-10 ViT (16 blocks of width 64) split into K=8
# modules (the K ablation of vit_deep16_k4_cifar10.py):
#   python tools/train.py configs/incubate/vit_deep16_k8_cifar10.py
# 8 modules of 2 blocks; meta model: 8 blocks; the same
# phases and lengths, every module incubated in parallel.
_base_ = ['./vit_deep16_k4_cifar10.py']
model = dict(num_modules=8)
train_cfg = dict(
    phases=[
        dict(phase='meta', max_epochs=20, val_interval=5,
             drop_path_rate=0.0, param_scheduler={{_base_.warmup_cosine}}),
        dict(phase='incubate', max_epochs=10, val_interval=5,
             drop_path_rate=0.1, mode='parallel',
             param_scheduler={{_base_.warmup_cosine}}),
        dict(phase='finetune', max_epochs=10, val_interval=5,
             drop_path_rate=0.1, param_scheduler={{_base_.cosine}},
             optim_wrapper=dict(
                 optimizer=dict(lr=5e-4),
                 clip_grad=dict(max_norm=1.0))),
    ])
