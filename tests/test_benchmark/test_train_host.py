"""The preloaded training host: a run forked from it trains exactly as a
fresh ``tools/train.py`` process does; its output, failures, CPU time and
interruption behave as a fresh process's would."""
import glob
import json
import os
import signal
import sys

import pytest

from mmincubate.benchmark import train_host
from mmincubate.benchmark.train_process import run_training, train_args
from mmincubate.benchmark.wall_time import WALL_TIME_FILE
from tests.helpers import (SHORT_PHASES, assert_same_weights, short_cfg,
                           weights)

pytestmark = pytest.mark.skipif(not train_host.usable(),
                                reason='no fork, or a GPU: fresh processes')


def _config(tmp_path, phases=SHORT_PHASES) -> str:
    path = str(tmp_path / 'config.py')
    short_cfg(tmp_path / 'unused', phases).dump(path)
    return path


def _train(config: str, work_dir: str, hosted: bool, quiet: bool = True):
    return run_training([sys.executable] + train_args(config, work_dir),
                        work_dir, resumed=False, quiet=quiet, hosted=hosted)


@pytest.mark.slow
def test_a_hosted_run_trains_as_a_fresh_process_does(tmp_path):
    config = _config(tmp_path)
    runs = {}
    for hosted in (False, True):
        work_dir = str(tmp_path / f'hosted_{hosted}')
        proc, attempt = _train(config, work_dir, hosted)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert attempt['process'] == (train_host.FORKED if hosted
                                      else train_host.FRESH)
        # its own CPU time (wait4), within what its cores allow
        assert 0 < attempt['cpu_seconds'] <= \
            attempt['seconds'] * attempt['cpus']
        with open(os.path.join(work_dir, WALL_TIME_FILE)) as f:
            assert json.load(f)['attempts'] == [attempt]
        runs[hosted] = weights(os.path.join(work_dir, 'final.pth'))
    assert_same_weights(runs[False], runs[True])


@pytest.mark.slow
def test_failures_output_and_the_host_serving_on(tmp_path, capfd):
    missing = str(tmp_path / 'missing.py')
    if train_host._SHARED is not None:
        train_host._SHARED.close()
    with capfd.disabled():  # the host's own stdout and stderr: not capfd's
        proc, attempt = _train(missing, str(tmp_path / 'quiet'),
                               hosted=True)
    host = train_host._SHARED
    assert attempt['process'] == train_host.FORKED
    assert proc.returncode == 1 and 'missing.py' in proc.stderr
    capfd.readouterr()
    # not quiet: the output reaches this process's stdout and stderr as
    # they are now (not as they were when the host started)
    proc, _ = _train(missing, str(tmp_path / 'loud'), hosted=True,
                     quiet=False)
    assert proc.returncode == 1 and proc.stderr is None
    assert 'missing.py' in capfd.readouterr().err
    assert train_host._SHARED is host and host.alive()


class _Stop(Exception):
    pass


@pytest.mark.slow
def test_an_interrupted_run_is_killed_recorded_and_the_host_serves_on(
        tmp_path):
    """What a SIGTERM to the benchmark (or Ctrl-C) does: the exception
    stops the wait, the child is killed and reaped, its attempt kept."""
    config = _config(tmp_path, [dict(phase='meta', max_iters=100000,
                                     val_interval=100000)])
    work_dir = str(tmp_path / 'long')

    def stop_once_training(signum, frame):
        if glob.glob(os.path.join(work_dir, '*', '*.log')):
            raise _Stop()

    previous = signal.signal(signal.SIGALRM, stop_once_training)
    signal.setitimer(signal.ITIMER_REAL, 1.0, 0.5)
    try:
        with pytest.raises(_Stop):
            _train(config, work_dir, hosted=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    host = train_host._SHARED
    with pytest.raises(ProcessLookupError):
        os.kill(host.last_pid, 0)  # killed and reaped
    with open(os.path.join(work_dir, WALL_TIME_FILE)) as f:
        attempt, = json.load(f)['attempts']
    assert attempt['process'] == train_host.FORKED
    assert attempt['cpu_seconds'] > 0
    proc, _ = _train(str(tmp_path / 'missing.py'), str(tmp_path / 'next'),
                     hosted=True)
    assert proc.returncode == 1 and train_host._SHARED is host


@pytest.mark.slow
def test_interrupted_before_the_child_is_known_the_host_is_stopped(
        tmp_path):
    """An exception while a new host still imports: no child is known to
    kill, so the host goes (its children with it), and the next run gets
    a new one."""
    if train_host._SHARED is not None:
        train_host._SHARED.close()

    def stop(signum, frame):
        raise _Stop()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(_Stop):
            _train(str(tmp_path / 'missing.py'), str(tmp_path / 'a'),
                   hosted=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    stopped = train_host._SHARED
    assert stopped.abandoned and stopped.process.returncode is not None
    proc, _ = _train(str(tmp_path / 'missing.py'), str(tmp_path / 'b'),
                     hosted=True)
    assert proc.returncode == 1 and train_host._SHARED is not stopped


@pytest.mark.slow
def test_another_environment_gets_another_host():
    # without what torch's import sets when it is unset (its compiler's
    # cache folder; this process has imported torch): the host's preload
    # sets it
    env = {k: v for k, v in os.environ.items()
           if k != 'TORCHINDUCTOR_CACHE_DIR'}
    first = train_host.shared_host(env)
    assert train_host.shared_host(dict(env)) is first
    # a variable read only at run time: the child gets it, the host stays
    assert train_host.shared_host(dict(env, SOME_RUN_SETTING='1')) is first
    # what the host's own imports set (as a client's imports set it too):
    # the same host
    imported = first.imported_env()
    added = {k: v for k, v in imported.items() if env.get(k) != v}
    assert 'TORCHINDUCTOR_CACHE_DIR' in added, imported
    assert train_host.shared_host(dict(env, **added)) is first
    second = train_host.shared_host(dict(env, MMINCUBATE_TEST_VARIABLE='1'))
    assert second is not first and second.alive()
    assert first.process.returncode == 0  # ended when its socket closed


def test_turned_off_or_other_commands_run_fresh(tmp_path, monkeypatch):
    monkeypatch.setenv('MMINCUBATE_TRAIN_HOST', '0')
    assert not train_host.usable()
    monkeypatch.delenv('MMINCUBATE_TRAIN_HOST')
    # not tools/train.py: a fresh process even when hosted is asked for
    _, attempt = run_training([sys.executable, '-c', 'pass'],
                              str(tmp_path / 'run'), resumed=False,
                              hosted=True)
    assert attempt['process'] == train_host.FRESH
