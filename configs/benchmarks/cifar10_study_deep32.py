# The CIFAR-10 study at 32 blocks: configs/benchmarks/cifar10_study_deep16.py
# with the ViT twice as deep (32 blocks of width 64, K=4 modules of 8 blocks,
# the same meta model of 4 blocks), for E2E, incubation and DGL (the other
# arms are left out at this depth for time), seeds 0, 1 and 2, on the same
# data (prepare it as that file says):
#   python tools/run_benchmark.py configs/benchmarks/cifar10_study_deep32.py
# The budget is the incubation arm's schedule: meta 32 epochs, incubate all
# modules 8, fine-tune 17; that is the FLOPs of 30.4 E2E epochs at this
# depth.
_base_ = ['./cifar10_study_deep16.py']
_incubation = {
    'train_cfg.phases.0.max_epochs': 32,
    'train_cfg.phases.0.val_interval': 8,
    'train_cfg.phases.1.max_epochs': 8,
    'train_cfg.phases.1.val_interval': 8,
    'train_cfg.phases.2.max_epochs': 17,
    'train_cfg.phases.2.val_interval': 4,
}
benchmark = dict(
    arms=dict(
        _delete_=True,
        incubation=dict(config='configs/incubate/vit_deep32_k4_cifar10.py',
                        cfg_options=_incubation),
        e2e=dict(config='configs/e2e/vit_deep32_e2e_cifar10.py',
                 cfg_options={'train_cfg.val_interval': 5}),
        dgl=dict(config='configs/local/vit_deep32_k4_cifar10_dgl.py'),
    ))
