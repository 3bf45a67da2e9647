"""A host process that has imported the training stack once and forks a
child for each ``tools/train.py`` run of a benchmark on CPU.

A fresh Python process spends several seconds of CPU importing torch,
mmengine, mmpretrain and, through mmpretrain, mmdet: most of a short run.
The host pays that once per benchmark call (or test worker). It runs no
tensor operation itself, so a child starts with torch's thread pools
unused; the child takes the run's working directory, stdout and stderr
(passed over a Unix socket), runs ``tools/train.py`` as ``__main__`` with
the run's arguments and ends as that script would (its exit status, its
``atexit`` handlers). Its CPU time comes from the host's ``wait4``.

What differs from a fresh process: the imports happen before the run's
wall time starts; the environment variables read at import time are the
host's (:func:`shared_host` starts a new host when they change; the child
gets the rest of the caller's environment); every child has the host's
string hash seed. Not used with a GPU (a child forked from a process that
touched the CUDA driver cannot use it) or with ``MMINCUBATE_TRAIN_HOST=0``.

Example:
    >>> env = dict(os.environ)
    >>> usage = {}
    >>> proc = shared_host(env).run(['configs/x.py', '--work-dir', 'run'],
    ...                             os.getcwd(), env, False, usage)
"""
import atexit
import gc
import importlib
import json
import os
import os.path as osp
import random
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional

from .arm_configs import PACKAGE_ROOT

TRAIN_TOOL = osp.join(PACKAGE_ROOT, 'tools', 'train.py')
#: what the host imports before it forks (besides ``tools/train.py``'s own
#: imports): the modules a training run builds its parts from
PRELOAD = ('torch', 'mmengine.runner', 'mmpretrain.datasets',
           'mmpretrain.engine', 'mmpretrain.evaluation', 'mmpretrain.models',
           'mmpretrain.visualization', 'mmincubate.datasets',
           'mmincubate.engine', 'mmincubate.evaluation', 'mmincubate.models')
#: an attempt's ``process`` in the run's wall-time record
FRESH, FORKED = 'fresh process', 'forked from the preloaded host'
_MESSAGE_BYTES = 1 << 17
_PR_SET_PDEATHSIG = 1
#: prefixes of the environment variables read at import time
IMPORT_TIME_ENV = ('OMP_', 'MKL_', 'KMP_', 'GOMP_', 'OPENBLAS_', 'PYTHON',
                   'LD_', 'CUDA', 'NVIDIA', 'TORCH', 'PYTORCH', 'MM')


def usable() -> bool:
    """Whether runs may be forked from a host here: Linux's fork and file
    descriptor passing, no GPU, not turned off
    (``MMINCUBATE_TRAIN_HOST=0``)."""
    if os.environ.get('MMINCUBATE_TRAIN_HOST', '1') == '0' or \
            not hasattr(os, 'fork') or not hasattr(socket, 'send_fds'):
        return False
    import torch
    return not torch.cuda.is_available()


class TrainHost:
    """The client of one host process: :meth:`run` trains in a child."""

    def __init__(self, env: Dict[str, str]) -> None:
        self.env = dict(env)
        mine, theirs = socket.socketpair(socket.AF_UNIX,
                                         socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, '-m', __name__, str(theirs.fileno())],
            pass_fds=[theirs.fileno()], env=self.env, cwd=PACKAGE_ROOT)
        theirs.close()
        self.socket = mine
        self.last_pid: Optional[int] = None
        self.abandoned = False

    def run(self, args: List[str], cwd: str, env: Dict[str, str],
            quiet: bool, usage: dict) -> subprocess.CompletedProcess:
        """``tools/train.py args`` in a child, in ``cwd``, with ``env``
        (those of its variables read at import time are the host's), its
        output on this process's stdout and
        stderr (``quiet``: none shown, the end of its stderr kept in the
        result); ``usage`` gets its ``cpu_seconds`` and ``process``. An
        exception (a SIGTERM, Ctrl-C) during the wait kills the child, or,
        where that cannot be settled, the host and with it the child."""
        usage.update(cpu_seconds=None, process=FORKED)
        payload = json.dumps(dict(args=args, cwd=cwd, env=env)).encode()
        if len(payload) > _MESSAGE_BYTES:
            raise ValueError(f'a training request of {len(payload)} bytes '
                             f'is over the host\'s {_MESSAGE_BYTES}; set '
                             'MMINCUBATE_TRAIN_HOST=0 for fresh processes.')
        with open(os.devnull, 'w') as null, \
                tempfile.TemporaryFile('w+') as err:
            fds = [null.fileno(), err.fileno()] if quiet else [1, 2]
            sys.stdout.flush()
            sys.stderr.flush()
            self.last_pid = None
            try:
                socket.send_fds(self.socket, [payload], fds)
                self.last_pid = self._reply()['pid']
                done = self._reply()
            except BaseException:
                self._recover(usage)
                raise
            if done.get('pid') != self.last_pid:
                self.abandon()
                raise RuntimeError('the training host answered out of turn; '
                                   'it was stopped (a new one starts).')
            usage['cpu_seconds'] = done['cpu_seconds']
            err.seek(0)
            stderr = err.read() if quiet else None
        return subprocess.CompletedProcess(
            [sys.executable, TRAIN_TOOL] + args, done['exit'], None, stderr)

    def _recover(self, usage: dict) -> None:
        """After an interrupted wait: kill the child and read its report,
        or else stop the host (its children die with it)."""
        try:
            if self.last_pid is None:
                raise RuntimeError('the child is not known')
            os.kill(self.last_pid, signal.SIGKILL)
            self.socket.settimeout(60)
            done = self._reply()
            if done.get('pid') != self.last_pid:
                raise RuntimeError('an answer out of turn')
            usage['cpu_seconds'] = done['cpu_seconds']
            self.socket.settimeout(None)
        except Exception:  # noqa: B902 (the original exception goes on)
            self.abandon()

    def _reply(self) -> dict:
        message = self.socket.recv(_MESSAGE_BYTES)
        if not message:
            code = self.process.wait()
            raise RuntimeError(
                f'the training host ended (exit status {code}); its error is '
                'above. Set MMINCUBATE_TRAIN_HOST=0 to train in fresh '
                'processes instead.')
        return json.loads(message)

    def alive(self) -> bool:
        """Whether the host is running and in step with this client."""
        return not self.abandoned and self.process.poll() is None

    def abandon(self) -> None:
        """Kill the host (its children die with it) and close the socket;
        :func:`shared_host` starts a new one."""
        self.abandoned = True
        self.process.kill()
        self.process.wait()
        self.socket.close()

    def close(self) -> None:
        """End the host: it exits when the socket closes (killed after 60
        s)."""
        self.socket.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.abandon()


_SHARED: Optional[TrainHost] = None


def _import_env(env: Dict[str, str]) -> Dict[str, str]:
    """The variables the stack may read when it is imported (threads,
    Python, the loader, torch, CUDA, OpenMMLab): the host's stay in force
    in its children, which get the rest from each request."""
    return {k: v for k, v in env.items() if k.startswith(IMPORT_TIME_ENV)}


def shared_host(env: Dict[str, str]) -> TrainHost:
    """This process's host for ``env``, started on first use and again when
    the environment differs or the host has ended; ended at exit."""
    global _SHARED
    if _SHARED is not None and (not _SHARED.alive() or
                                _import_env(_SHARED.env) != _import_env(env)):
        _SHARED.close()
        _SHARED = None
    if _SHARED is None:
        _SHARED = TrainHost(env)
        atexit.register(_SHARED.close)
    return _SHARED


# ---------------------------------------------------------------- the host
def _serve(channel: socket.socket) -> Optional[dict]:
    """Fork a child per request, report its pid, then its exit status and
    CPU time. Returns only in a child (its request, its stdout and stderr
    in place), or None when the client has closed the socket."""
    host = os.getpid()
    while True:
        message, fds, _, _ = socket.recv_fds(channel, _MESSAGE_BYTES, 2)
        if not message:
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _die_with(host)
            channel.close()
            for target, fd in zip((1, 2), fds):
                os.dup2(fd, target)
                os.close(fd)
            return json.loads(message)
        for fd in fds:
            os.close(fd)
        channel.send(json.dumps(dict(pid=pid)).encode())
        _, status, rusage = os.wait4(pid, 0)
        channel.send(json.dumps(dict(
            pid=pid, exit=os.waitstatus_to_exitcode(status),
            cpu_seconds=rusage.ru_utime + rusage.ru_stime)).encode())


def _die_with(host: int) -> None:
    """In a child: be killed when the host ends (Linux's parent-death
    signal), as a client that stops the host means."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG,
                                            signal.SIGKILL)
    if os.getppid() != host:  # the host ended before the call
        os._exit(1)


def main(argv: Optional[List[str]] = None) -> None:
    """The host: preload, then serve; in a child, the run's
    ``tools/train.py``."""
    import numpy
    channel = socket.socket(fileno=int((argv or sys.argv[1:])[0]))
    # Ctrl-C or a SIGTERM to the process group reaches the client and the
    # child; the host stays to report the child
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for name in PRELOAD:
        importlib.import_module(name)
    runpy.run_path(TRAIN_TOOL, run_name='mmincubate_train_tool')
    # the host's objects stay out of the children's garbage collection:
    # collecting would write to pages shared with the host and copy them
    gc.freeze()
    request = _serve(channel)
    if request is None:
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request['env'])
    sys.stdout.reconfigure(line_buffering=os.isatty(1))
    # fresh entropy, as a new process's: an unseeded run is not every
    # other child's twin (torch's default seed is fixed in any process)
    random.seed()
    numpy.random.seed()
    os.chdir(request['cwd'])
    sys.argv = [TRAIN_TOOL] + request['args']
    sys.path[0] = osp.dirname(TRAIN_TOOL)  # as for the script itself
    runpy.run_path(TRAIN_TOOL, run_name='__main__')


if __name__ == '__main__':
    main()
