"""The client of a host process (:mod:`.train_host_process`) that has
imported the training stack once and forks a child for each
``tools/train.py`` run of a benchmark on CPU.

A fresh Python process spends several seconds of CPU importing torch,
mmengine and mmpretrain: most of a short run. The host pays that once per
benchmark call (or test worker). It runs no tensor operation itself, so a
child starts with torch's thread pools unused; the child takes the run's
working directory, stdout and stderr (passed over a Unix socket), runs
``tools/train.py`` as ``__main__`` with the run's arguments and ends as
that script would (its exit status, its ``atexit`` handlers). Its CPU time
comes from the host's ``wait4``.

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
import json
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional

from .arm_configs import PACKAGE_ROOT

TRAIN_TOOL = osp.join(PACKAGE_ROOT, 'tools', 'train.py')
#: the host's own code (:mod:`.train_host_process`)
HOST_MODULE = 'mmincubate.benchmark.train_host_process'
#: an attempt's ``process`` in the run's wall-time record
FRESH, FORKED = 'fresh process', 'forked from the preloaded host'
#: the longest message on the host's socket
MESSAGE_BYTES = 1 << 17
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
            [sys.executable, '-m', HOST_MODULE, str(theirs.fileno())],
            pass_fds=[theirs.fileno()], env=self.env, cwd=PACKAGE_ROOT)
        theirs.close()
        self.socket = mine
        self.last_pid: Optional[int] = None
        self.abandoned = False
        self._imported_env: Optional[Dict[str, str]] = None

    def run(self, args: List[str], cwd: str, env: Dict[str, str],
            quiet: bool, usage: dict,
            output: Optional[int] = None) -> subprocess.CompletedProcess:
        """``tools/train.py args`` in a child, in ``cwd``, with ``env``
        (those of its variables read at import time are the host's), its
        output on this process's stdout and
        stderr (``quiet``: none shown, the end of its stderr kept in the
        result; ``output``: both on that file descriptor instead);
        ``usage`` gets its ``cpu_seconds`` and ``process``. An
        exception (a SIGTERM, Ctrl-C) during the wait kills the child, or,
        where that cannot be settled, the host and with it the child."""
        usage.update(cpu_seconds=None, process=FORKED)
        payload = json.dumps(dict(args=args, cwd=cwd, env=env)).encode()
        if len(payload) > MESSAGE_BYTES:
            raise ValueError(f'a training request of {len(payload)} bytes '
                             f'is over the host\'s {MESSAGE_BYTES}; set '
                             'MMINCUBATE_TRAIN_HOST=0 for fresh processes.')
        with open(os.devnull, 'w') as null, \
                tempfile.TemporaryFile('w+') as err:
            fds = [null.fileno(), err.fileno()] if quiet else [1, 2]
            if output is not None and not quiet:
                fds = [output, output]
            sys.stdout.flush()
            sys.stderr.flush()
            self.last_pid = None
            try:
                self.imported_env()  # the host's first message
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
        message = self.socket.recv(MESSAGE_BYTES)
        if not message:
            code = self.process.wait()
            raise RuntimeError(
                f'the training host ended (exit status {code}); its error is '
                'above. Set MMINCUBATE_TRAIN_HOST=0 to train in fresh '
                'processes instead.')
        return json.loads(message)

    def imported_env(self) -> Dict[str, str]:
        """The import-time variables in force in the host once it has
        imported the stack (its children's): the client's, and what the
        imports set (waits for the host's imports)."""
        if self._imported_env is None:
            self._imported_env = self._reply()
        return self._imported_env

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


def import_env(env: Dict[str, str]) -> Dict[str, str]:
    """The variables the stack may read when it is imported (threads,
    Python, the loader, torch, CUDA, OpenMMLab): the host's stay in force
    in its children, which get the rest from each request."""
    return {k: v for k, v in env.items() if k.startswith(IMPORT_TIME_ENV)}


def _serves(host: TrainHost, env: Dict[str, str]) -> bool:
    """Whether ``env``'s import-time variables are each as ``host`` started
    with it or as its imports left it (:meth:`TrainHost.imported_env`;
    a client's own imports change them the same way)."""
    wanted, started = import_env(env), import_env(host.env)
    if wanted == started:  # without waiting for the host's imports
        return True
    imported = host.imported_env()
    return all(wanted.get(k) in (started.get(k), imported.get(k))
               for k in {*wanted, *started, *imported})


def shared_host(env: Dict[str, str]) -> TrainHost:
    """This process's host for ``env``, started on first use and again when
    the environment differs or the host has ended; ended at exit."""
    global _SHARED
    if _SHARED is not None and (not _SHARED.alive()
                                or not _serves(_SHARED, env)):
        _SHARED.close()
        _SHARED = None
    if _SHARED is None:
        _SHARED = TrainHost(env)
        atexit.register(_SHARED.close)
    return _SHARED
