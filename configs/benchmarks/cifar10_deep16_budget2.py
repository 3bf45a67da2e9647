# The CIFAR-10 study, budget 2: twice budget 1 (meta 12 -> incubate 4 ->
# fine-tune 6; E2E: as many epochs as that costs, about 14).
#   python tools/run_benchmark.py configs/benchmarks/cifar10_deep16_budget2.py
_base_ = ['./cifar10_deep16_budget1.py']
benchmark = dict(
    incubation=dict(
        cfg_options={
            'train_cfg.phases.0.max_epochs': 12,
            'train_cfg.phases.0.val_interval': 3,
            'train_cfg.phases.1.max_epochs': 4,
            'train_cfg.phases.2.max_epochs': 6,
        }))
