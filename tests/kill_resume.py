"""Launch ``tools/train.py``, SIGKILL it once a checkpoint is written, and
compare checkpoints bitwise: shared by the SIGKILL resume tests. The runs
are forked from the training host (each fresh process spent about 4 s of
its few seconds importing the stack), or are fresh processes where the host
does not serve (``MMINCUBATE_TRAIN_HOST=0``)."""
import glob
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch

from mmincubate.benchmark import train_host
from tests.helpers import ROOT


class HostedLaunch:
    """``tools/train.py`` forked from the training host
    (:mod:`mmincubate.benchmark.train_host`, which has imported the stack
    once), waited on in a thread; as much of ``subprocess.Popen`` as these
    tests use (``pid``, ``poll``, ``wait``, ``returncode``)."""

    def __init__(self, args, env, log):
        self.log, self.returncode = log, None
        self.host = train_host.shared_host(env)
        self._error = None
        self.host.last_pid = None  # as run() sets it; the last run's else
        self._thread = threading.Thread(target=self._run,
                                        args=(args, env), daemon=True)
        self._thread.start()
        while self.host.last_pid is None and self._thread.is_alive():
            time.sleep(0.001)
        self.pid = self.host.last_pid

    def _run(self, args, env):
        try:
            self.returncode = self.host.run(
                args, ROOT, env, False, {}, output=self.log.fileno()
            ).returncode
        except BaseException as error:  # noqa: B902 (raised by wait)
            self._error = error

    def poll(self):
        if self._thread.is_alive():
            return None
        if self._error is not None:
            raise self._error
        return self.returncode

    def wait(self, timeout=None):
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise subprocess.TimeoutExpired('tools/train.py', timeout)
        return self.poll()

    def kill(self):
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)


def launch(config, work_dir, log_name, *extra, fresh=False):
    """Start ``tools/train.py config --work-dir work_dir *extra``, logging
    into ``work_dir/log_name``: forked from the training host where it
    serves (a killed run is a process killed all the same; it skips the
    seconds of imports), else or if ``fresh`` a fresh process (a new
    interpreter: its own string hash seed, nothing imported before)."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    log = open(osp.join(work_dir, log_name), 'w')
    args = [str(config), '--work-dir', str(work_dir), *extra]
    if not fresh and train_host.usable():
        return HostedLaunch(args, env, log)
    proc = subprocess.Popen(
        [sys.executable, osp.join(ROOT, 'tools/train.py'), *args],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    proc.log = log
    return proc


def finish(proc, timeout=300):
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.log.close()
    return proc.returncode


def reference_and_killed(config, tmp_path):
    """An uninterrupted run of ``config`` in ``tmp_path/reference`` and an
    empty ``tmp_path/killed`` for the run to interrupt."""
    reference, killed = tmp_path / 'reference', tmp_path / 'killed'
    reference.mkdir()
    killed.mkdir()
    assert finish(launch(config, reference, 'run.log')) == 0, log_tail(
        reference, 'run.log')
    return reference, killed


def log_tail(work_dir, log_name, chars=4000):
    with open(osp.join(work_dir, log_name)) as f:
        return f.read()[-chars:]


def resumed_at(work_dir, log_name, unit='iter'):
    """The iteration (or epoch) the run in ``log_name`` resumed from."""
    match = re.search(r'resumed epoch: (\d+), iter: (\d+)',
                      log_tail(work_dir, log_name, 10**7))
    assert match, 'the run did not resume'
    return int(match.group(2 if unit == 'iter' else 1))


def latest(work_dir, unit='iter'):
    """The number of the ``<unit>_N.pth`` that ``last_checkpoint`` names,
    or -1 if none (yet)."""
    try:
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            match = re.search(rf'{unit}_(\d+)\.pth$', f.read().strip())
    except FileNotFoundError:
        return -1
    return int(match.group(1)) if match else -1


def write_in_flight(work_dir, number, unit='iter'):
    return bool(glob.glob(osp.join(work_dir, f'.{unit}_{number}.pth.*')))


def kill_after(proc, work_dir, point, resumed_from, delay, unit='iter'):
    """SIGKILL ``proc`` once it has written the checkpoint of ``point``: when
    the next write is seen in flight, else after ``delay`` seconds."""
    deadline = time.monotonic() + 240
    try:
        while not (latest(work_dir, unit) >= point
                   and latest(work_dir, unit) > resumed_from):
            assert proc.poll() is None, (
                f'the run ended (rc {proc.returncode}) before its checkpoint '
                f'of {unit} {point} appeared')
            assert time.monotonic() < deadline, 'no checkpoint in time'
            time.sleep(0.002)
        until = time.monotonic() + delay
        while time.monotonic() < until and not write_in_flight(
                work_dir, latest(work_dir, unit) + 1, unit):
            time.sleep(0.0005)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        returncode = finish(proc)
    assert returncode == -signal.SIGKILL, 'the run ended before the kill'


def assert_same_tree(actual, expected, where):
    """Bitwise equality of nested checkpoint content."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), where
        assert actual.dtype == expected.dtype, where
        if not torch.equal(actual, expected):
            diff = (actual.double() - expected.double()).abs().max().item() \
                if actual.shape == expected.shape else 'shape'
            pytest.fail(f'{where} differs from the uninterrupted run '
                        f'(max abs difference {diff})')
    elif isinstance(expected, np.ndarray):
        assert np.array_equal(actual, expected), where
    elif isinstance(expected, dict):
        assert set(actual) == set(expected), where
        for key in expected:
            assert_same_tree(actual[key], expected[key], f'{where}.{key}')
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_tree(a, e, f'{where}[{i}]')
    else:
        assert actual == expected, where


