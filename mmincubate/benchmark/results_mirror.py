"""A benchmark's small files kept in a second folder (e.g. under ``docs/``,
committed): every finished run's summary, wall time and config, the plan
and the results, so that the benchmark continues from them on another
machine, without the checkpoints of its work_dir."""
import os
import os.path as osp
from typing import List

from mmincubate.utils.checkpoint import write_atomic
from .wall_time import WALL_TIME_FILE

#: what is kept of a finished run
RUN_FILES = ('summary.json', WALL_TIME_FILE, 'config.py')
#: what is kept of the benchmark itself
BENCHMARK_FILES = ('plan.json', 'results.json', 'results.md',
                   'cost_accuracy.png')
RUNS = 'runs'


def _copy_atomic(src: str, dst: str) -> None:
    with open(src, 'rb') as f:
        data = f.read()
    write_atomic(dst, lambda out: out.write(data))


def restore(results_dir: str, work_dir: str) -> List[str]:
    """Copy the kept runs and plan into ``work_dir`` where it lacks them (a
    run that work_dir has, finished or not, stays as it is); returns the
    runs restored. Call before the plan is read."""
    restored = []
    plan = osp.join(results_dir, 'plan.json')
    if osp.isfile(plan) and not osp.isfile(osp.join(work_dir, 'plan.json')):
        _copy_atomic(plan, osp.join(work_dir, 'plan.json'))
    runs = osp.join(results_dir, RUNS)
    for root, _, files in sorted(os.walk(runs)):
        if 'summary.json' not in files:
            continue
        run = osp.relpath(root, runs)
        target = osp.join(work_dir, run)
        if osp.isfile(osp.join(target, 'summary.json')):
            continue
        for name in RUN_FILES:
            if name in files:
                _copy_atomic(osp.join(root, name), osp.join(target, name))
        restored.append(run)
    return restored


def keep_run(results_dir: str, work_dir: str, run_dir: str) -> None:
    """Copy a finished run's small files into ``results_dir``."""
    run = osp.relpath(run_dir, work_dir)
    for name in RUN_FILES:
        src = osp.join(run_dir, name)
        if osp.isfile(src):
            _copy_atomic(src, osp.join(results_dir, RUNS, run, name))


def keep_benchmark(results_dir: str, work_dir: str) -> None:
    """Copy the plan and, once written, the results into ``results_dir``."""
    for name in BENCHMARK_FILES:
        src = osp.join(work_dir, name)
        if osp.isfile(src):
            _copy_atomic(src, osp.join(results_dir, name))
