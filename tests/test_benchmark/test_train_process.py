"""A training process's wall and CPU time land in its work_dir's record,
attempt after attempt, and a quiet failure keeps its stderr."""
import json
import sys

import pytest

from mmincubate.benchmark.train_process import (run_training, train_args,
                                                train_once)
from mmincubate.benchmark.wall_time import WALL_TIME_FILE, wall_seconds

BUSY = 'import time\nend = time.process_time() + 0.3\n' \
       'while time.process_time() < end: pass'


def test_each_attempt_is_recorded_and_returned(tmp_path):
    run_dir = tmp_path / 'run'
    attempts = [run_training([sys.executable, '-c', BUSY], str(run_dir),
                             resumed=resumed)[1]
                for resumed in (False, True)]
    with open(run_dir / WALL_TIME_FILE) as f:
        assert json.load(f)['attempts'] == attempts
    assert [a['resumed'] for a in attempts] == [False, True]
    for attempt in attempts:
        assert attempt['seconds'] >= attempt['cpu_seconds'] / \
            attempt['cpus'] and attempt['cpu_seconds'] >= 0.25
    assert wall_seconds(str(run_dir)) == pytest.approx(
        sum(a['seconds'] for a in attempts))


def test_quiet_failure_raises_with_its_stderr(tmp_path):
    """train_once runs tools/train.py; a config that is not there fails
    the process, and the error carries the end of its stderr."""
    with pytest.raises(RuntimeError) as error:
        train_once(str(tmp_path / 'missing.py'), str(tmp_path / 'run'))
    assert 'missing.py failed (exit status' in str(error.value)
    assert 'missing.py' in str(error.value).split(':\n', 1)[1]


def test_train_args():
    args = train_args('c.py', 'w', resume=True, cfg_options=['a=1'])
    assert args[0].endswith('tools/train.py')
    assert args[1:] == ['c.py', '--work-dir', 'w', '--resume',
                        '--cfg-options', 'a=1']


STOPPED = '''
import os, sys
from mmincubate.benchmark.train_process import run_training, stop_on_sigterm
stop_on_sigterm()
child = "import os, time; open('child.pid', 'w').write(str(os.getpid())); time.sleep(60)"
print('started', flush=True)
run_training([sys.executable, '-c', child], 'run', resumed=False)
'''


@pytest.mark.slow
def test_sigterm_kills_the_training_and_records_its_attempt(tmp_path):
    """A benchmark stopped with SIGTERM (``kill``) while a run trains: the
    training process is killed too and the attempt's wall time is kept."""
    import os
    import signal
    import subprocess
    import time

    from tests.helpers import ROOT
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, '-c', STOPPED], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'started'
    pid_file = tmp_path / 'child.pid'
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, 'the child never started'
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    child = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # gone: killed and reaped
    with open(tmp_path / 'run' / WALL_TIME_FILE) as f:
        attempts = json.load(f)['attempts']
    assert len(attempts) == 1 and attempts[0]['seconds'] > 0
