# DGL-style local learning of DeiT-T with 32 blocks on CIFAR-100 (the paper's
# Table 2: 72.0 top-1 in 2.0 A100-hours, local training alone): K=4 modules
# of 8 blocks, each on a linear auxiliary classifier, local 200 epochs, then
# the assembled model fine-tuned 100 epochs as incubation's is (reported
# apart: "assembled" is the local model, "final" the fine-tuned one), lr 5e-4
# at batch 128 on one GPU; the lengths are assumptions.
#   mkdir -p data/cifar100     # see configs/_base_/datasets/cifar100.py
#   python tools/train.py configs/local/deit_tiny32_k4_cifar100_dgl.py
_base_ = ['../incubate/deit_tiny32_k4_cifar100.py']
model = dict(
    _delete_=True,
    type='LocalLearning',
    target={{_base_.model.target}},
    num_modules=4,
    aux_net='linear',
    lambda_ce=1.0,
    lambda_rec=0.0,
)
train_cfg = dict(phases=[
    dict(phase='local', max_epochs=200, val_interval=10, drop_path_rate=0.1,
         param_scheduler={{_base_.warmup_cosine}}),
    dict(phase='finetune', max_epochs=100, val_interval=10,
         drop_path_rate=0.1, param_scheduler={{_base_.cosine}},
         optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
])
