# Deep Incubation of DeiT-T with 32 blocks on CIFAR-100 (the paper's Table 2:
# 75.3 top-1 in 2.2 A100-hours): K=4 modules of 8 blocks, a meta model of 4
# blocks; the paper's ImageNet phases (meta 300 epochs, incubate 100, fine-tune
# 100), lr 5e-4 at batch 128 on one GPU as deit_tiny32_e2e_cifar100.py (the
# CIFAR recipe is not published: lengths and lr are assumptions).
#   mkdir -p data/cifar100     # see configs/_base_/datasets/cifar100.py
#   python tools/train.py configs/incubate/deit_tiny32_k4_cifar100.py
_base_ = [
    '../_base_/models/deit_tiny32_cifar100.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/incubation_paper.py', '../_base_/default_runtime.py'
]
model = dict(
    _delete_=True,
    type='DeepIncubation',
    target={{_base_.model}},
    num_modules=4,
    data_preprocessor={{_base_.data_preprocessor}},
)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
auto_scale_lr = dict(base_batch_size=128)
