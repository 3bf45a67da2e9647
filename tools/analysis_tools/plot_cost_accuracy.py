"""Accuracy against cumulative training cost for any runs.

    python tools/analysis_tools/plot_cost_accuracy.py WORK_DIR [WORK_DIR ...] \
        --out FILE.png [--x flops|seconds] [--labels A B ...] \
        [--metric accuracy/top1]

Each WORK_DIR is a training run with ``summary.json`` (written by
``CostAccountingHook``, a default hook of every mmincubate config). Runs
that continue one another, e.g. a meta job, the module jobs and the
fine-tuning job of ``tools/dist_incubate.sh``, are joined with commas
(``meta,module0,module1,module2,module3,finetune``): their costs add up in
that order. Example, the digits benchmark's two arms:

    python tools/analysis_tools/plot_cost_accuracy.py \
        work_dirs/benchmark_digits/incubation_seed0 \
        work_dirs/benchmark_digits/e2e_seed0 \
        --labels incubation e2e --out work_dirs/benchmark_digits/seed0.png
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from mmincubate.benchmark.plot import plot_cost_accuracy  # noqa: E402
from mmincubate.benchmark.results import chained  # noqa: E402


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        description='Plot accuracy against cumulative training cost')
    parser.add_argument('work_dirs', nargs='+',
                        help='runs; a,b,c joins runs that continue each '
                        'other')
    parser.add_argument('--out', required=True, help='the PNG to write')
    parser.add_argument('--x', choices=['flops', 'seconds'], default='flops')
    parser.add_argument('--labels', nargs='+',
                        help='one label per run (default: the folder names)')
    parser.add_argument('--metric', default='accuracy/top1')
    parser.add_argument('--title', default='')
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.work_dirs):
        parser.error(f'{len(args.labels)} labels for {len(args.work_dirs)} '
                     'runs; give one per run.')
    labels = args.labels or [
        osp.basename(osp.normpath(w.split(',')[-1])) for w in args.work_dirs
    ]
    try:
        runs = [chained(w.split(',')) for w in args.work_dirs]
    except (FileNotFoundError, ValueError) as error:
        parser.exit(1, f'error: {error}\n')
    print(plot_cost_accuracy(runs, labels, args.out, metric=args.metric,
                             x=args.x, title=args.title))


if __name__ == '__main__':
    main()
