"""Every mode of the step-cost benchmark in a process of its own, forked
from one host process that imported the stack once.

``tools/analysis_tools/benchmark_incubation.py`` starts the host as a fresh
interpreter (``--worker-host DIR``). The host imports torch, mmengine and
the models (several seconds of CPU, paid once instead of once per mode),
runs no tensor operation itself, and forks one child per mode and round:
the child starts with torch's thread pools unused, as a fresh interpreter
does, maps back the library pages the host had resident (fork leaves them
out of its page table), measures its mode and writes the figures to
``DIR``. Each mode keeps its own peak memory, starting from the resident
set a fresh process would have after the same imports.

On a GPU the tool starts a fresh host per mode instead, which measures in
place (``--worker-round``): a child forked after its parent touched the
CUDA driver cannot use it.
"""
import argparse
import ctypes
import gc
import importlib
import json
import os
import os.path as osp
import struct
import sys
import traceback
from typing import Callable, Dict, List, Tuple

#: what the host imports before it forks: everything a mode's child needs
PRELOAD = ('torch', 'mmengine.runner', 'mmincubate.models',
           'mmincubate.step_cost.measure', 'mmincubate.step_cost.modes')


def forked(function: Callable[[], None]) -> int:
    """Run ``function`` in a child forked from this process and wait for
    it; the child's exit status: 0, a ``SystemExit``'s code, 1 after any
    other exception (its traceback printed), or minus the signal that
    killed it. Call it only from a process that has run no parallel tensor
    operation (a forked child does not inherit thread pools)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 1
        try:
            function()
            code = 0
        except SystemExit as exit_:
            if isinstance(exit_.code, int) or exit_.code is None:
                code = exit_.code or 0
            else:
                print(exit_.code, file=sys.stderr)
        except BaseException:  # noqa: B902 (reported, then the exit)
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def resident_file_pages() -> List[Tuple[int, int]]:
    """(address, pages) runs of this process's pages that are mapped from
    a file and resident now (Linux ``/proc/self/pagemap``'s present bit).
    A forked child does not inherit them in its page table, so its
    resident set would count them only when it first touches them."""
    page = os.sysconf('SC_PAGE_SIZE')
    runs: List[Tuple[int, int]] = []
    with open('/proc/self/maps') as maps, \
            open('/proc/self/pagemap', 'rb') as pagemap:
        for line in maps:
            fields = line.split()
            if len(fields) < 6 or not fields[5].startswith('/') or \
                    fields[5].startswith('/dev/') or fields[1][0] != 'r':
                continue
            start, end = (int(x, 16) for x in fields[0].split('-'))
            pagemap.seek(start // page * 8)
            entries = pagemap.read((end - start) // page * 8)
            run_start = None
            for index, (entry, ) in enumerate(struct.iter_unpack('<Q',
                                                                 entries)):
                present = entry >> 63
                if present and run_start is None:
                    run_start = index
                elif not present and run_start is not None:
                    runs.append((start + run_start * page, index - run_start))
                    run_start = None
            if run_start is not None:
                runs.append((start + run_start * page,
                             len(entries) // 8 - run_start))
    return runs


def touch_pages(runs: List[Tuple[int, int]]) -> None:
    """Read one byte of every page in ``runs``: back in this process's
    resident set, as they were in the process it was forked from."""
    page = os.sysconf('SC_PAGE_SIZE')
    for address, pages in runs:
        for offset in range(0, pages * page, page):
            ctypes.string_at(address + offset, 1)


def figures_path(out_dir: str, mode: str, round_index: int) -> str:
    return osp.join(out_dir, f'{mode}_{round_index}.json')


def mode_line(mode: str, figures: dict) -> str:
    """The progress line of one measured mode."""
    return (f'{mode:10s} {figures["sec_per_step"] * 1e3:9.1f} ms/step  '
            f'{figures["flops"] / 1e9:9.1f} GFLOP  peak '
            f'{figures["peak_bytes"] / 2**20:7.0f} MiB')


def measure_into(args: argparse.Namespace, mode: str, out_dir: str,
                 round_index: int) -> None:
    """Measure ``mode`` in this process; its figures in ``out_dir`` (written
    whole or not at all), its line on stdout."""
    from mmincubate.step_cost.worker import run_worker
    figures = run_worker(args, mode)
    path = figures_path(out_dir, mode, round_index)
    with open(path + '.part', 'w') as f:
        json.dump(figures, f)
    os.replace(path + '.part', path)
    print(mode_line(mode, figures), flush=True)


def _touch_and_measure(args: argparse.Namespace, mode: str, out_dir: str,
                       round_index: int,
                       host_pages: List[Tuple[int, int]]) -> None:
    touch_pages(host_pages)
    measure_into(args, mode, out_dir, round_index)


def host_modes(args: argparse.Namespace, modes: List[str], repeats: int,
               out_dir: str) -> None:
    """In the host: the modes in turn, ``repeats`` rounds, each in a child
    of its own (:func:`measure_into`). A
    failed mode ends the host with an error naming it.

    Example:
        >>> host_modes(args, ['e2e', 'meta'], repeats=1, out_dir=tmp)
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
    """What :func:`host_modes` wrote: every mode's rounds, in order."""
    rounds = {}
    for mode in modes:
        rounds[mode] = []
        for round_index in range(repeats):
            with open(figures_path(out_dir, mode, round_index)) as f:
                rounds[mode].append(json.load(f))
    return rounds
