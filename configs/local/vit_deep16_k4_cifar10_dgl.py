# DGL-style local learning of the 16-block CIFAR-10 ViT (width 64) in K=4
# modules of 4 blocks, each module trained on its own linear auxiliary
# classifier, then fine-tuned end to end: the DGL arm of the CIFAR-10 study.
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10
#   python tools/train.py configs/local/vit_deep16_k4_cifar10_dgl.py
# Phases: local 20 epochs (lr 1e-3, one warmup epoch, cosine), fine-tune 20
# (lr 5e-4, cosine, clipping): the schedules of vit_deep16_k4_cifar10.py's
# incubation and fine-tuning phases, batch 64.
_base_ = ['../incubate/vit_deep16_k4_cifar10.py']
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
    dict(phase='local', max_epochs=20, val_interval=5, drop_path_rate=0.1,
         param_scheduler={{_base_.warmup_cosine}}),
    dict(phase='finetune', max_epochs=20, val_interval=5,
         drop_path_rate=0.1, param_scheduler={{_base_.cosine}},
         optim_wrapper=dict(
             optimizer=dict(lr=5e-4), clip_grad=dict(max_norm=1.0))),
])
