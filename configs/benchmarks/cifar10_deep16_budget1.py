# The CIFAR-10 study, budget 1: the deep, narrow ViT (16 blocks of width 64,
# patch 4) incubated in K=4 modules against the same ViT trained end to end
# for the same measured training FLOPs, seeds 0 and 1, on a subset of the
# real CIFAR-10 training split (5,000 training and 1,000 validation images,
# carved from the official training images; SRC as for
# configs/_base_/datasets/cifar10_folder.py, e.g. the shared train.tar.gz):
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10_5k --limit-per-class 600 --val-per-class 100
#   python tools/run_benchmark.py configs/benchmarks/cifar10_deep16_budget1.py
# Incubation: meta 6 epochs -> incubate all modules 2 -> fine-tune 3 (the
# paper's 3:1:1 meta:incubation ratio, a longer fine-tuning); E2E: as many
# epochs as that costs (about 7).
data_root = 'data/cifar10_5k'
benchmark = dict(
    incubation=dict(
        config='configs/incubate/vit_deep16_k4_cifar10.py',
        cfg_options={
            'train_cfg.phases.0.max_epochs': 6,
            'train_cfg.phases.0.val_interval': 2,
            'train_cfg.phases.1.max_epochs': 2,
            'train_cfg.phases.1.val_interval': 1,
            'train_cfg.phases.2.max_epochs': 3,
            'train_cfg.phases.2.val_interval': 1,
        }),
    e2e=dict(
        config='configs/e2e/vit_deep16_e2e_cifar10.py',
        cfg_options={'train_cfg.val_interval': 1}),
    match='flops',
    seeds=[0, 1],
    metric='accuracy/top1',
    cfg_options={
        'train_dataloader.dataset.data_root': data_root,
        'val_dataloader.dataset.data_root': data_root,
        'test_dataloader.dataset.data_root': data_root,
    },
)
