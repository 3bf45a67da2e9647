"""Where the step-cost benchmark measures its modes: each in a process of
its own, its figures in a file.

On CPU ``tools/analysis_tools/benchmark_incubation.py`` starts one host
process (``--worker-host DIR``) that imports torch, mmengine and the models
once (several seconds of CPU, paid once instead of once per mode), runs no
tensor operation itself and forks a child per mode and round
(:mod:`mmincubate.utils.fork`): the child starts with torch's thread pools
unused and the host's resident library pages mapped back, as a fresh
process after the same imports, measures its mode and writes its figures
to ``DIR``. On a GPU (or where fork or ``/proc/self/pagemap`` is missing)
the tool starts a fresh process per mode and round instead, which measures
in place (``--worker-mode``, ``--worker-round``): a child forked after its
parent touched the CUDA driver cannot use it.
"""
import argparse
import gc
import importlib
import json
import os.path as osp
from typing import Dict, List

from mmincubate.utils.fork import (PageRun, forked, resident_file_pages,
                                   touch_pages)

#: what the host imports before it forks: everything a mode's child needs
PRELOAD = ('torch', 'mmengine.runner', 'mmincubate.models',
           'mmincubate.step_cost.measure', 'mmincubate.step_cost.modes')


def figures_path(out_dir: str, mode: str, round_index: int) -> str:
    """The file of one mode's figures in one round."""
    return osp.join(out_dir, f'{mode}_{round_index}.json')


def mode_line(mode: str, figures: dict) -> str:
    """The progress line of one measured mode."""
    return (f'{mode:10s} {figures["sec_per_step"] * 1e3:9.1f} ms/step  '
            f'{figures["flops"] / 1e9:9.1f} GFLOP  peak '
            f'{figures["peak_bytes"] / 2**20:7.0f} MiB')


def measure_into(args: argparse.Namespace, mode: str, out_dir: str,
                 round_index: int) -> None:
    """Measure ``mode`` in this process (against E2E where ``args.modes``
    holds it); its figures in ``out_dir`` (written whole or not at all),
    its line on stdout."""
    from mmincubate.step_cost.worker import run_worker
    from mmincubate.utils.checkpoint import dump_json_atomic
    figures = run_worker(args, mode)
    dump_json_atomic(figures, figures_path(out_dir, mode, round_index))
    print(mode_line(mode, figures), flush=True)


def _touch_and_measure(args: argparse.Namespace, mode: str, out_dir: str,
                       round_index: int, host_pages: List[PageRun]) -> None:
    touch_pages(host_pages)
    measure_into(args, mode, out_dir, round_index)


def host_modes(args: argparse.Namespace, modes: List[str], repeats: int,
               out_dir: str) -> None:
    """In the host: the modes in turn, ``repeats`` rounds, each measured in
    a child of its own (:func:`measure_into`). A failed mode ends the host
    with an error naming it.

    Example (in the process the tool starts with ``--worker-host DIR``):
        >>> host_modes(args, ['e2e', 'meta'], repeats=2, out_dir=DIR)
    """
    for name in PRELOAD:
        importlib.import_module(name)
    # the host's objects stay out of the children's garbage collection:
    # collecting would write to pages shared with the host and copy them
    gc.freeze()
    host_pages = resident_file_pages()
    for round_index in range(repeats):
        for mode in modes:
            code = forked(lambda: _touch_and_measure(
                args, mode, out_dir, round_index, host_pages))
            if code != 0:
                raise SystemExit(f'mode {mode} failed (exit status {code});'
                                 ' see above.')


def read_rounds(out_dir: str, modes: List[str],
                repeats: int) -> Dict[str, List[dict]]:
    """Every mode's figures, round by round, as the host or the per-mode
    processes wrote them."""
    rounds = {}
    for mode in modes:
        rounds[mode] = []
        for round_index in range(repeats):
            with open(figures_path(out_dir, mode, round_index)) as f:
                rounds[mode].append(json.load(f))
    return rounds
