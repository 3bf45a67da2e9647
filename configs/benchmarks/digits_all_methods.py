# Every divide-and-conquer method on the digits, at equal measured training
# FLOPs: end-to-end training; Deep Incubation; incubation inside an
# untrained, frozen meta model (the ablation); DGL (linear auxiliary
# classifiers) and InfoPro (auxiliary classifiers and patch decoders, its
# depth-dependent weights), each reported after its local phase (assembled)
# and after fine-tuning (final). Two seeds, about 15 minutes on 2 CPU cores.
#   python tools/run_benchmark.py configs/benchmarks/digits_all_methods.py
# The budget is the incubation arm's whole schedule at 0.4x the demo's
# lengths (meta 12, incubate 4, fine-tune 16 epochs); every other arm keeps
# the ratio of its own phases and is scaled to spend the same FLOPs.
# Every arm at its own best learning rate of 5e-4, 1e-3, 2e-3, 4e-3, 8e-3
# (seed 0 of this benchmark, the same sweep for every arm:
# docs/results/digits_all_methods/README.md): incubation and InfoPro 4e-3,
# the others 2e-3 (run_benchmark.py's --cfg-options set one lr for all).
_schedule = {
    'train_cfg.phases': [
        dict(phase='meta', max_epochs=12, val_interval=4),
        dict(phase='incubate', max_epochs=4, val_interval=4,
             drop_path_rate=0.1, mode='parallel'),
        dict(phase='finetune', max_epochs=16, val_interval=4,
             drop_path_rate=0.1,
             optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
    ]
}
_random_meta = {
    'model.meta_init': 'random',
    'train_cfg.phases': _schedule['train_cfg.phases'][1:],
}
_lr4 = {'optim_wrapper.optimizer.lr': 4e-3}
_local = {
    'train_cfg.phases': [
        dict(phase='local', max_epochs=16, val_interval=4,
             drop_path_rate=0.1),
        dict(phase='finetune', max_epochs=16, val_interval=4,
             drop_path_rate=0.1,
             optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
    ]
}
benchmark = dict(
    arms=dict(
        incubation=dict(config='configs/incubate/vit_tiny_k4_digits.py',
                        cfg_options={**_schedule, **_lr4}),
        e2e=dict(config='configs/e2e/vit_tiny_e2e_digits.py'),
        incubation_random_meta=dict(
            config='configs/incubate/vit_tiny_k4_digits_random_meta.py',
            cfg_options=_random_meta),
        dgl=dict(config='configs/local/vit_tiny_k4_digits_dgl.py',
                 cfg_options=_local),
        infopro=dict(config='configs/local/vit_tiny_k4_digits_infopro.py',
                     cfg_options={**_local, **_lr4}),
    ),
    budget_arm='incubation',
    baseline='e2e',
    match='flops',
    seeds=[0, 1],
    metric='accuracy/top1',
    cfg_options={'optim_wrapper.optimizer.lr': 2e-3},
)
