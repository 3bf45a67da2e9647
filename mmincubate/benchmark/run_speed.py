"""Whole training runs timed against each other: what a run costs beyond
its training steps (startup, data, validation, checkpoints), and its
images per second, for configs that differ in how they run."""
import os.path as osp
import statistics
from typing import Dict, List, Sequence

from .results import load_summary
from .train_process import train_once


def time_run(config: str, work_dir: str, cfg_options: Sequence[str] = ()
             ) -> Dict[str, float]:
    """Train ``config`` in a fresh process (:func:`train_once`); its wall
    time beside the training time, images and FLOPs that its
    CostAccountingHook measured."""
    attempt = train_once(config, work_dir, cfg_options)
    total = load_summary(work_dir)['cost']['total']
    return dict(wall_seconds=attempt['seconds'],
                train_seconds=total['seconds'], images=total['images'],
                flops=total['flops'])


def compare_runs(configs: Sequence[str], work_root: str,
                 cfg_options: Sequence[str] = (), repeats: int = 1,
                 log=print) -> List[dict]:
    """Every config ``repeats`` times, in turn (so that a slow spell of a
    shared machine falls on all); per config the median of each figure.

    Example:
        >>> compare_runs(['configs/e2e/vit_deep16_e2e_cifar10.py'],
        ...              '/tmp/speed', ['train_cfg.max_epochs=2'])
    """
    times: Dict[str, List[dict]] = {c: [] for c in configs}
    for repeat in range(repeats):
        for index, config in enumerate(configs):
            work_dir = osp.join(work_root, f'run{index}_repeat{repeat}')
            times[config].append(time_run(config, work_dir, cfg_options))
            figures = times[config][-1]
            log(f'[speed] {osp.basename(config)}, round {repeat + 1}: '
                f'{figures["wall_seconds"]:.1f} s wall, '
                f'{figures["train_seconds"]:.1f} s training')
    rows = []
    for config, runs in times.items():
        row = dict(config=config, repeats=len(runs))
        for key in ('wall_seconds', 'train_seconds', 'images', 'flops'):
            row[key] = statistics.median(r[key] for r in runs)
        row['wall_over_train'] = row['wall_seconds'] / row['train_seconds']
        row['train_images_per_s'] = row['images'] / row['train_seconds']
        row['images_per_s'] = row['images'] / row['wall_seconds']
        row['train_gflops_per_s'] = row['flops'] / row['train_seconds'] / 1e9
        rows.append(row)
    return rows


def speed_markdown(rows: List[dict], machine: str) -> str:
    """The rows as a table; speed-ups against the first config."""
    first = rows[0]['images_per_s']
    lines = [f'Whole runs on {machine} (median of {rows[0]["repeats"]}):',
             '', '| config | wall s | training s | wall / training | '
             'training img/s | img/s over the run | training GFLOP/s | '
             'speed-up |', '|---|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append(
            f'| {osp.basename(r["config"])} | {r["wall_seconds"]:.1f} | '
            f'{r["train_seconds"]:.1f} | {r["wall_over_train"]:.3f} | '
            f'{r["train_images_per_s"]:.1f} | {r["images_per_s"]:.1f} | '
            f'{r["train_gflops_per_s"]:.1f} | '
            f'{r["images_per_s"] / first:.2f}x |')
    return '\n'.join(lines) + '\n'
