"""The training host's own process (:mod:`.train_host` is its client):
it imports the training stack once, then forks a child for each request
and runs ``tools/train.py`` as ``__main__`` in it.

Started by :class:`.train_host.TrainHost` as
``python -m mmincubate.benchmark.train_host_process FD`` (FD: its end of
the client's Unix socket).
"""
import gc
import importlib
import json
import os
import os.path as osp
import random
import runpy
import signal
import socket
import sys
from typing import List, Optional

from ..import_gc import imports_outside_gc
from .train_host import MESSAGE_BYTES, TRAIN_TOOL, import_env

#: what the host imports before it forks (besides ``tools/train.py``'s own
#: imports): the modules a training run builds its parts from
PRELOAD = ('torch', 'mmengine.runner', 'mmpretrain.datasets',
           'mmpretrain.engine', 'mmpretrain.evaluation', 'mmpretrain.models',
           'mmpretrain.visualization', 'mmincubate.datasets',
           'mmincubate.engine', 'mmincubate.evaluation', 'mmincubate.models')
#: what the host also imports where it is installed: what a run imports when
#: it builds its parts (the visualizer's matplotlib and TensorBoard writer,
#: the distutils of mmengine's environment report; the digits dataset reads
#: its file without scikit-learn)
OPTIONAL_PRELOAD = ('matplotlib.figure',
                    'matplotlib.backends.backend_agg',
                    'torch.utils.tensorboard', 'distutils.errors')
_PR_SET_PDEATHSIG = 1


def _serve(channel: socket.socket) -> Optional[dict]:
    """Fork a child per request, report its pid, then its exit status and
    CPU time. Returns only in a child (its request, its stdout and stderr
    in place), or None when the client has closed the socket."""
    host = os.getpid()
    while True:
        message, fds, _, _ = socket.recv_fds(channel, MESSAGE_BYTES, 2)
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
    with imports_outside_gc():
        for name in PRELOAD:
            importlib.import_module(name)
        for name in OPTIONAL_PRELOAD:
            try:
                importlib.import_module(name)
            except ImportError:
                pass
        runpy.run_path(TRAIN_TOOL, run_name='mmincubate_train_tool')
    # what the imports left in force (some set variables: torch its
    # compiler's cache folder, OpenCV the loader's path)
    channel.send(json.dumps(import_env(os.environ)).encode())
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
