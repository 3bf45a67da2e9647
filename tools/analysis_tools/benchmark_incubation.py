"""Step cost of every Deep Incubation mode against its FLOP share, on CPU
or GPU, with synthetic tensors or the real data pipeline.

    python tools/analysis_tools/benchmark_incubation.py \
        [--config configs/incubate/vit_b_k4.py] [--cfg-options k=v ...] \
        [--batch 128] [--iters 10] [--warmup 3] [--modes e2e meta ...] \
        [--data [DATA_CONFIG]] [--data-options k=v ...] [--amp] \
        [--with-cp] [--compile] [--clip-grad 1.0] [--profile-ops] \
        [--json OUT.json] [--transfer]

Modes (``mmincubate.step_cost.modes``): ``plain`` (a plain PyTorch
loop over the target), ``e2e``, ``meta``, ``module0`` .. ``module{K-1}``
(one module alone), ``all`` (all K modules in one step) and ``upstream0``
.. (one module, the meta blocks behind it also computing weight gradients);
on request ``all-summed`` (the work of ``all``, which backpropagates one
hybrid at a time, with one backward of the summed losses: all K hybrids'
activations alive at once). Every mode runs in a process of its own (on
CPU forked from one that imported the stack once; on a GPU fresh): real
``train_step``s with AdamW (the same arguments in the plain loop) on the
config's model, drop path 0.1, its batch augments removed and its loss
plain cross entropy unless ``--batch-augments``. Printed per mode: median
time per step (the batch fetch included), images/s, measured FLOPs (forward
and backward matrix products), time and FLOPs as shares of E2E and their
ratio, peak memory (GPU: allocated; CPU: resident) and the step's part of
it (above the weights resident before the first step) against E2E's, the
optimizer step's share, TFLOP/s and, with ``--peak-tflops`` (default: the
data-sheet peak of a known GPU), model FLOP utilisation; then the
sequential and upstream sums, all-K speedups, the framework overhead, the
attention kernels, with ``--data`` the pipeline's CPU time per batch, with
``--goals FILE`` a MET / MISSED line per goal in the file; with ``--profile-ops`` the milliseconds of matrix
products, attention and all other operators per step of each mode (the
median of three profiled steps). A mode's time share of E2E is measured
against E2E steps taken in turn in the mode's process (the load of a shared
machine cancels). Nothing is asserted about speed.

``--data`` takes the dataloader of a config (default: ``--config``'s own)
with its transforms and workers, the batch size set to ``--batch``.
``--transfer`` (GPU) adds PlainViT + SimpleFeaturePyramid at 1024x1024.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import warnings
from typing import Dict, List

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mmincubate.import_gc import imports_outside_gc  # noqa: E402

# mmengine's import of pkg_resources warns in every process
PKG_RESOURCES_WARNING = 'pkg_resources is deprecated'
warnings.filterwarnings('ignore', PKG_RESOURCES_WARNING, UserWarning)
with imports_outside_gc():
    import torch
    from mmincubate.num_modules import num_modules_of
    from mmincubate.step_cost.worker import (DEFAULT_CONFIG, data_cost,
                                             model_cfg)


def run_modes(args, argv: List[str], k: int) -> Dict[str, dict]:
    """Every mode of a K-module model in a process of its own (its own peak
    memory), the modes in turn ``--repeats`` times. On CPU one host process
    imports the stack once and forks a child per mode
    (:mod:`mmincubate.step_cost.mode_host`); on a GPU every mode and round
    gets a fresh process (a child forked after its parent touched the CUDA
    driver cannot use it)."""
    from mmincubate.step_cost.mode_host import read_rounds
    from mmincubate.step_cost.modes import expand_modes
    from mmincubate.utils.fork import can_fork_measured
    modes = expand_modes(args.modes, k)
    on_cuda = args.device.startswith('cuda')
    with tempfile.TemporaryDirectory() as tmp:
        host = [*argv, '--worker-host', tmp]
        if on_cuda or not can_fork_measured():
            for round_index in range(args.repeats):
                for mode in modes:
                    _run_host([*host, '--worker-mode', mode, '--worker-round',
                               str(round_index)], on_cuda, f'mode {mode}')
        else:
            _run_host(host, on_cuda, 'the process measuring the modes')
        rounds = read_rounds(tmp, modes, args.repeats)
    # each mode's fastest round (the least disturbed by other load)
    results = {}
    for mode, runs in rounds.items():
        best = dict(min(runs, key=lambda r: r['sec_per_step']))
        best['rounds_sec_per_step'] = [r['sec_per_step'] for r in runs]
        results[mode] = best
    return results


def _run_host(argv: List[str], on_cuda: bool, what: str) -> None:
    from mmincubate.step_cost.machine import worker_env
    env = worker_env(on_cuda, f'ignore:{PKG_RESOURCES_WARNING}:UserWarning')
    done = subprocess.run([sys.executable, osp.abspath(__file__), *argv],
                          cwd=os.getcwd(), env=env)
    if done.returncode != 0:
        raise SystemExit(f'{what} failed (exit status {done.returncode}); '
                         'see above.')


def parse_args(argv: List[str]) -> argparse.Namespace:
    from mmincubate.utils.cfg_options import LiteralDictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='a Deep Incubation config (its model)')
    parser.add_argument('--cfg-options', nargs='+', action=LiteralDictAction,
                        help="override the config's settings, key=value")
    parser.add_argument('--batch', type=int, default=128,
                        help='images per step')
    parser.add_argument('--iters', type=int, default=10,
                        help='timed steps per mode (the median is printed)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=1,
                        help='rounds over all modes, one process each; a '
                        "mode's figure is its fastest round (on a shared "
                        'machine other load slows some rounds)')
    parser.add_argument('--modes', nargs='+',
                        default=['plain', 'e2e', 'meta', 'modules', 'all',
                                 'upstream'],
                        help='modes to measure; "modules" and "upstream" '
                        'stand for all K of them; "all-summed" (all K, one '
                        'backward of the summed losses) only when named')
    parser.add_argument('--data', nargs='?', const='SAME',
                        help="the real data pipeline: a config's "
                        'train_dataloader (no value: --config\'s own)')
    parser.add_argument('--data-options', nargs='+',
                        action=LiteralDictAction,
                        help="override the data config's settings")
    parser.add_argument('--device',
                        default='cuda' if torch.cuda.is_available()
                        else 'cpu')
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast (BF16AutocastOptimWrapper)')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing of the target blocks')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile every block (compile_blocks)')
    parser.add_argument('--optimizer-impl',
                        choices=['default', 'foreach', 'fused'],
                        default='default', help="AdamW's implementation")
    parser.add_argument('--clip-grad', type=float, default=0.0,
                        help='gradient clip max norm (per module for all)')
    parser.add_argument('--drop-path', type=float, default=0.1)
    parser.add_argument('--profile-ops', action='store_true',
                        help='profile three more steps per mode: time in '
                        'matrix products, attention and other operators')
    parser.add_argument('--batch-augments', action='store_true',
                        help="keep the config's Mixup/CutMix and loss")
    parser.add_argument('--peak-tflops', type=float,
                        help='the device\'s peak TFLOP/s for model FLOP '
                        'utilisation (default: the data-sheet bf16 peak of '
                        'a known GPU, mmincubate.utils.machine)')
    parser.add_argument('--goals',
                        help='a JSON file of goals to read the figures '
                        'against (MET / MISSED), e.g. '
                        'tools/analysis_tools/step_cost_goals.json')
    parser.add_argument('--json', help='also write the figures here')
    parser.add_argument('--transfer', action='store_true',
                        help='(GPU) also PlainViT + SFP at 1024x1024')
    parser.add_argument('--transfer-arch', nargs='+', default=['b'],
                        choices=['b', 'l', 'h'])
    parser.add_argument('--transfer-batch', type=int, default=2)
    parser.add_argument('--worker-host', help=argparse.SUPPRESS)
    parser.add_argument('--worker-mode', help=argparse.SUPPRESS)
    parser.add_argument('--worker-round', type=int, default=0,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _peak_tflops(args) -> float:
    """--peak-tflops, else the table's figure for this GPU, else 0 (no
    utilisation column)."""
    from mmincubate.utils.machine import peak_tflops
    if args.peak_tflops:
        return args.peak_tflops
    if args.device.startswith('cuda'):
        return peak_tflops(torch.cuda.get_device_name()) or 0.0
    return 0.0


def _against_matmul(rows: dict) -> None:
    """On a CPU: every mode's FLOP rate against the measured fp32 matrix
    product, the practical peak, which differs between CPU models."""
    from mmincubate.utils.machine import matmul_tflops
    peak = matmul_tflops('cpu')
    shares = ', '.join(f'{mode} {r["tflops_per_s"] / peak:.0%}'
                       for mode, r in rows.items())
    print(f'fp32 matrix product (1024x1024): {peak * 1e3:.0f} GFLOP/s '
          f'measured; the steps\' FLOP rates are {shares} of it')


def _data_name(args) -> str:
    if args.data is None:
        return 'synthetic tensors'
    config = args.config if args.data == 'SAME' else args.data
    return f"data: {config}'s train_dataloader"


def main(argv: List[str] = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.worker_host:  # the process that measures (see run_modes)
        from mmincubate.step_cost.mode_host import host_modes, measure_into
        from mmincubate.step_cost.modes import expand_modes
        if args.worker_mode:  # one mode, here
            measure_into(args, args.worker_mode, args.worker_host,
                         args.worker_round)
            return
        k = num_modules_of(model_cfg(args).model)
        host_modes(args, expand_modes(args.modes, k), args.repeats,
                   args.worker_host)
        return
    if args.transfer and not args.device.startswith('cuda'):
        raise SystemExit('--transfer needs a CUDA GPU.')
    from mmincubate.step_cost.goals import goal_lines, load_goals
    try:
        goals = load_goals(args.goals) if args.goals else None
    except (OSError, ValueError) as error:
        raise SystemExit(f'error: --goals {args.goals}: {error}')
    from mmincubate.step_cost.machine import allocator_settings
    from mmincubate.utils.machine import device_name
    from mmincubate.step_cost.report import derive, op_table, summary, table
    print(f'{device_name(args.device)}, torch {torch.__version__}; '
          f'{args.config}, batch {args.batch}, {args.iters} steps after '
          f'{args.warmup} warm-up, '
          f'{_data_name(args)}'
          f'{", bf16" if args.amp else ""}'
          f'{", with_cp" if args.with_cp else ""}'
          f'{", compiled" if args.compile else ""}'
          f'{allocator_settings()}', flush=True)
    cfg = model_cfg(args)
    k = num_modules_of(cfg.model)
    results = run_modes(args, argv, k)
    derived = derive(results, args.batch, k, _peak_tflops(args) or None)
    print(table(derived, list(results)))
    if args.profile_ops:
        print(op_table(derived, list(results)))
    print(summary(derived, args.data is not None, k))
    if goals:
        print(goal_lines(derived, args.data is not None, goals))
    if not args.device.startswith('cuda'):
        _against_matmul(derived['rows'])
    if args.data is not None:
        derived['run'].update(data_cost(args, cfg, k))
    transfer = []
    if args.transfer:
        from mmincubate.step_cost.transfer import bench_transfer
        for arch in args.transfer_arch:
            transfer += bench_transfer(arch, args.transfer_batch, args.iters,
                                       args.warmup)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(results=results, derived=derived,
                           transfer=transfer, argv=argv), f, indent=1)


if __name__ == '__main__':
    main()
