"""Time whole training runs of configs against each other: wall time beside
training time (what startup, data, validation and checkpoints add) and
images per second, the configs in turn, each in a fresh process.

    python tools/analysis_tools/benchmark_run.py \
        configs/e2e/vit_deep16_e2e_cifar10_folder.py \
        configs/e2e/vit_deep16_e2e_cifar10.py \
        --cfg-options train_cfg.max_epochs=3 train_cfg.val_interval=3
"""
import argparse
import tempfile
from typing import List, Optional

from mmincubate.benchmark.run_speed import compare_runs, speed_markdown
from mmincubate.utils.machine import device_name
from mmincubate.utils.checkpoint import dump_json_atomic


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('configs', nargs='+', help='training configs; the '
                        'first is the reference of the speed-ups')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides for every config (e.g. a '
                        'shorter schedule)')
    parser.add_argument('--repeats', type=int, default=1,
                        help='rounds over the configs; medians are shown')
    parser.add_argument('--work-dir', help='where the runs train (default: '
                        'a temporary folder, removed afterwards)')
    parser.add_argument('--json', help='also write the figures here')
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f'--repeats {args.repeats}: give 1 or more.')
    return args


def main(argv: Optional[List[str]] = None) -> List[dict]:
    args = parse_args(argv)
    machine = device_name('cpu')
    with tempfile.TemporaryDirectory() as tmp:
        try:
            rows = compare_runs(args.configs, args.work_dir or tmp,
                                args.cfg_options, args.repeats)
        except RuntimeError as error:
            raise SystemExit(f'error: {error}')
    print(speed_markdown(rows, machine))
    if args.json:
        dump_json_atomic(dict(machine=machine, rows=rows), args.json)
    return rows


if __name__ == '__main__':
    main()
