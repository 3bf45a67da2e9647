"""Run a benchmark: every arm (incubation, E2E, local learning, ablations)
at equal cost.

    python tools/run_benchmark.py CONFIG [--work-dir DIR]
                                  [--launcher none|pytorch|slurm] [--gpus N]
                                  [--seeds S ...] [--cfg-options k=v ...]
                                  [--dry-run]

CONFIG is a benchmark config (``configs/benchmarks/``, see
``mmincubate/benchmark/plan.py`` for its keys). A relative arm or downstream
config path is looked for in CONFIG's directory, then in the project root
(the folder holding ``configs/``), then in the current directory
(``mmincubate/benchmark/arm_configs.py``); a missing one stops the tool
before anything is written. For every seed it trains the budget arm
(``budget_arm``, e.g. incubation: meta + incubation + fine-tuning), then
every other arm with its length set so that its total training FLOPs
(``match='flops'``) or wall time (``'time'``) equal the budget arm's (the
budget is the budget-arm run of the first seed run in DIR, measured; an arm
with several phases keeps their ratio), then each downstream task from each
arm's final weights. Every run is a normal ``tools/train.py`` run with its
own work_dir and complete config (``DIR/<arm>_seed<s>/config.py``); a line
per run says which run of how many and the time left. A second call skips
finished runs and resumes unfinished ones from their latest checkpoint. At
the end it writes ``results.json``, ``results.md`` (a row per arm and seed,
mean ± std per arm, each arm paired with ``baseline`` seed by seed) and
``cost_accuracy.png`` into DIR and prints the tables.

DIR holds one benchmark (``DIR/plan.json``). Another call with other
``--seeds`` adds them: the plan's seeds become the union of the planned and
the requested ones, this call trains the requested ones, and the results
list every finished seed of the plan. Any other change (an arm's config or
``cfg_options``, ``--cfg-options`` (applied to every arm last, after each
arm's own ``cfg_options``), ``match``, the metric, downstream tasks,
the number of processes) is refused before anything is written, with each
change, its old and its new value: a new --work-dir starts a new benchmark.
``--dry-run`` shows where the configs were found and what would run.

Example (the README's first command, minutes on 2 CPU cores):

    python tools/run_benchmark.py configs/benchmarks/digits_incubation_vs_e2e.py
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmincubate.benchmark.benchmark import Benchmark  # noqa: E402
from mmincubate.benchmark.train_process import \
    stop_on_sigterm  # noqa: E402
from mmincubate.utils.cfg_options import LiteralDictAction  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='The arms of a benchmark at equal cost',
        epilog='DIR holds one benchmark: new --seeds join its plan and the '
        'results list every finished seed; any other change is refused (a '
        'new --work-dir starts a new benchmark). A relative arm config is '
        'looked for in CONFIG\'s directory, the project root, the current '
        'directory.')
    parser.add_argument('config', help='benchmark config file')
    parser.add_argument('--work-dir',
                        help='default: work_dirs/<config file name>')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none',
                        help='pytorch: torch.distributed.run on this '
                        'machine; slurm: srun inside an allocation')
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes per run with a launcher')
    parser.add_argument('--port', type=int, default=29500)
    parser.add_argument('--seeds', type=int, nargs='+',
                        help='the seeds to run (default: the benchmark\'s); '
                        'new seeds join a DIR\'s plan, results list all '
                        'finished ones')
    parser.add_argument('--results-dir',
                        help='also keep every finished run\'s summary, wall '
                        'time and config, the plan and the results here '
                        '(small files to commit); a later call, on any '
                        'machine, continues from them')
    parser.add_argument('--dry-run', action='store_true',
                        help='check the configs and DIR\'s plan, show what '
                        'would run; train and write nothing')
    parser.add_argument(
        '--cfg-options', nargs='+', action=LiteralDictAction,
        help='overrides applied to every arm\'s config after the '
        'benchmark\'s and the arm\'s own cfg_options (its "overrides"), '
        'e.g. optim_wrapper.optimizer.lr=2e-3 for a sweep')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    try:
        benchmark = Benchmark(args.config, args.work_dir, args.seeds,
                              args.cfg_options, args.launcher, args.gpus,
                              args.port, args.results_dir)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'error: {error}')
    return benchmark.dry_run() if args.dry_run else benchmark.run()


if __name__ == '__main__':
    stop_on_sigterm()  # a stopped run's wall time is still recorded
    main()
