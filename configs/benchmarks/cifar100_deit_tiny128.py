# The paper's Table 2 at 128 blocks: cifar100_deit_tiny32.py with DeiT-T of
# 128 blocks (K=4 modules of 32 blocks, the same 4-block meta model). The
# paper: E2E 69.4 (7.2 A100-hours), InfoPro 73.2 (7.4 h), DGL 70.9 (7.4 h),
# incubation 77.2 (6.0 h). The budget (the same phases) is the FLOPs of 213
# E2E epochs at this depth.
#   mkdir -p data/cifar100     # see configs/_base_/datasets/cifar100.py
#   python tools/run_benchmark.py configs/benchmarks/cifar100_deit_tiny128.py
_base_ = ['./cifar100_deit_tiny32.py']
benchmark = dict(
    arms=dict(
        incubation=dict(
            config='configs/incubate/deit_tiny128_k4_cifar100.py'),
        e2e=dict(config='configs/e2e/deit_tiny128_e2e_cifar100.py'),
        dgl=dict(config='configs/local/deit_tiny128_k4_cifar100_dgl.py'),
        infopro=dict(
            config='configs/local/deit_tiny128_k4_cifar100_infopro.py'),
    ))
