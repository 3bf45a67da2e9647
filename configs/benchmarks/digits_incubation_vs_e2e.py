# The digits benchmark (the README's first command): Deep Incubation of the
# 8-block digits ViT against the same ViT trained end to end for the same
# measured training FLOPs, two seeds, minutes on 2 CPU cores.
#   python tools/run_benchmark.py configs/benchmarks/digits_incubation_vs_e2e.py
benchmark = dict(
    incubation=dict(config='configs/incubate/vit_tiny_k4_digits.py'),
    e2e=dict(config='configs/e2e/vit_tiny_e2e_digits.py'),
    match='flops',
    seeds=[0, 1],
    metric='accuracy/top1',
    # lr 2e-3 for every phase of both arms: the best of 5e-4, 1e-3, 2e-3 and
    # 4e-3 for each arm (seed 0, the tuning loop of docs/results.md)
    cfg_options={'optim_wrapper.optimizer.lr': 2e-3},
)
