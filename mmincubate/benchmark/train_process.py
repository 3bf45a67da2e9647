"""One training run in a process of its own (``tools/train.py``), its wall
and CPU time recorded beside it (:mod:`.wall_time`): what the benchmark's
arms and the whole-run speed comparison both time."""
import os
import signal
import subprocess
import sys
from typing import List, Optional, Sequence, Tuple

from . import train_host
from .arm_configs import PACKAGE_ROOT
from .wall_time import recorded_wall_time


def train_args(config: str, work_dir: str, resume: bool = False,
               cfg_options: Sequence[str] = ()) -> List[str]:
    """``tools/train.py`` and its arguments, for a launcher to prefix.

    Example:
        >>> [sys.executable] + train_args('run/config.py', 'run', resume=True)
    """
    args = [train_host.TRAIN_TOOL, config, '--work-dir', work_dir]
    if resume:
        args.append('--resume')
    if cfg_options:
        args += ['--cfg-options', *cfg_options]
    return args


def run_training(command: Sequence[str], work_dir: str, resumed: bool,
                 quiet: bool = False, hosted: bool = False
                 ) -> Tuple[subprocess.CompletedProcess, dict]:
    """Run ``command`` (one that trains into ``work_dir``) with this
    package first on ``PYTHONPATH``; returns the finished process and the
    attempt recorded in the work_dir's wall-time record (``seconds``,
    ``cpu_seconds``, ``processor``, ``process``, ...). ``quiet``: its output
    is not shown; the process keeps the end of its stderr for an error
    message. ``hosted``: a plain ``tools/train.py`` command runs in a child
    forked from the preloaded training host where that is usable
    (:mod:`.train_host`: on CPU, the imports paid once), otherwise in a
    fresh process.

    Example:
        >>> proc, attempt = run_training(
        ...     [sys.executable] + train_args(config, run_dir), run_dir,
        ...     resumed=False)
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [PACKAGE_ROOT] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    output: Optional[int] = subprocess.DEVNULL if quiet else None
    os.makedirs(work_dir, exist_ok=True)
    plain_train = [sys.executable, train_host.TRAIN_TOOL]
    host = None
    if hosted and list(command[:2]) == plain_train and train_host.usable():
        host = train_host.shared_host(env)
    with recorded_wall_time(work_dir, resumed) as attempt:
        if host is not None:
            proc = host.run(list(command[2:]), os.getcwd(), env, quiet,
                            attempt)
        else:
            attempt['process'] = train_host.FRESH
            proc = subprocess.run(list(command), env=env, stdout=output,
                                  stderr=subprocess.PIPE if quiet else None,
                                  text=True)
    return proc, attempt


def train_once(config: str, work_dir: str,
               cfg_options: Sequence[str] = ()) -> dict:
    """Train ``config`` from scratch in a fresh process, quietly; the
    attempt's record. A failed run raises ``RuntimeError`` with the end of
    its stderr."""
    proc, attempt = run_training(
        [sys.executable] + train_args(config, work_dir,
                                      cfg_options=cfg_options),
        work_dir, resumed=False, quiet=True)
    if proc.returncode != 0:
        raise RuntimeError(f'{config} failed (exit status {proc.returncode})'
                           f':\n{proc.stderr[-3000:]}')
    return attempt


def stop_on_sigterm() -> None:
    """Let SIGTERM end this process the way an exception does (exit status
    143): the training process it waits for is killed, and the attempt's
    wall time is still recorded. Call it from a command line's main thread.

    Example:
        >>> if __name__ == '__main__':
        ...     stop_on_sigterm()
        ...     main()
    """
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)

