# The CIFAR-10 study at 16 blocks: every method on the ViT of 16 blocks of
# width 64 (patch 4, K=4 modules of 4 blocks, a meta model of 4 blocks) at
# equal measured training FLOPs, seeds 0, 1 and 2, on real CIFAR-10: 5,000
# training images (the first 500 of every class) and a validation split of
# 5,000 other images (the next 500 of every class), both from the official
# training images (SRC: e.g. the shared train.tar.gz):
#   python tools/dataset_converters/prepare_cifar10.py SRC data/cifar10_study --limit-per-class 1000 --val-per-class 500
#   python tools/run_benchmark.py configs/benchmarks/cifar10_study_deep16.py
# The budget is the incubation arm's schedule: meta 32 epochs, incubate all
# modules 8, fine-tune 12; that is the FLOPs of 30.8 E2E epochs. Every other
# arm keeps the ratio of its own phases and is scaled to the same FLOPs.
# Every arm runs at its config's learning rates (1e-3, fine-tuning 5e-4, at
# batch 64), untuned, the same for all.
data_root = 'data/cifar10_study'
_incubation = {
    'train_cfg.phases.0.max_epochs': 32,
    'train_cfg.phases.0.val_interval': 8,
    'train_cfg.phases.1.max_epochs': 8,
    'train_cfg.phases.1.val_interval': 8,
    'train_cfg.phases.2.max_epochs': 12,
    'train_cfg.phases.2.val_interval': 4,
}
_random_meta = {
    'model.meta_init': 'random',
    'train_cfg.phases': [
        dict(phase='incubate', max_epochs=8, val_interval=8,
             drop_path_rate=0.1, mode='parallel'),
        dict(phase='finetune', max_epochs=12, val_interval=4,
             drop_path_rate=0.1,
             param_scheduler=[
                 dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
                      begin=0, convert_to_iter_based=True)
             ],
             optim_wrapper=dict(
                 optimizer=dict(lr=5e-4), clip_grad=dict(max_norm=1.0))),
    ],
}
benchmark = dict(
    arms=dict(
        incubation=dict(config='configs/incubate/vit_deep16_k4_cifar10.py',
                        cfg_options=_incubation),
        e2e=dict(config='configs/e2e/vit_deep16_e2e_cifar10.py',
                 cfg_options={'train_cfg.val_interval': 5}),
        incubation_random_meta=dict(
            config='configs/incubate/vit_deep16_k4_cifar10.py',
            cfg_options=_random_meta),
        dgl=dict(config='configs/local/vit_deep16_k4_cifar10_dgl.py'),
        infopro=dict(config='configs/local/vit_deep16_k4_cifar10_infopro.py'),
    ),
    budget_arm='incubation',
    baseline='e2e',
    match='flops',
    seeds=[0, 1, 2],
    metric='accuracy/top1',
    cfg_options={
        'train_dataloader.dataset.data_root': data_root,
        'val_dataloader.dataset.data_root': data_root,
        'test_dataloader.dataset.data_root': data_root,
    },
)
