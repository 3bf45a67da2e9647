"""The wall time of a benchmark run, recorded beside its summary: every
process that trained it (startup, training, validation, checkpoints,
exports), with its processor, since a resumed run may continue on another
machine. A process forked from the preloaded training host
(:mod:`.train_host`) had its imports done before its time started; its
attempt says so (``process``)."""
import contextlib
import json
import os
import os.path as osp
import resource
import time
from typing import Iterator, Optional

from mmincubate.utils.checkpoint import dump_json_atomic
from mmincubate.utils.machine import cpu_model

WALL_TIME_FILE = 'wall_time.json'


def record_wall_time(work_dir: str, seconds: float, resumed: bool,
                     cpu_seconds: Optional[float] = None,
                     process: Optional[str] = None) -> dict:
    """Append one process's wall time to the run's record, with the CPU
    time it used (user + system, all its threads and children): against
    the cores it had, that tells whether other work shared the machine.
    ``process``: how the process started (a fresh one, or forked from the
    preloaded host). Returns the appended attempt.

    Example:
        >>> record_wall_time('work_dirs/b/e2e_seed0', 812.4, resumed=False,
        ...                  cpu_seconds=1598.0)
    """
    path = osp.join(work_dir, WALL_TIME_FILE)
    record = dict(attempts=[])
    if osp.isfile(path):
        with open(path) as f:
            record = json.load(f)
    attempt = dict(
        seconds=seconds, resumed=resumed, processor=cpu_model(),
        cpu_seconds=cpu_seconds, cpus=os.cpu_count(), process=process,
        load_average=os.getloadavg()[0] if hasattr(os, 'getloadavg')
        else None,
        ended=time.strftime('%Y-%m-%d %H:%M:%S %Z'))
    record['attempts'].append(attempt)
    dump_json_atomic(record, path)
    return attempt


def children_cpu_seconds() -> float:
    """User and system time of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def recorded_wall_time(work_dir: str, resumed: bool) -> Iterator[dict]:
    """Record the wall and CPU time of the child process run inside; the
    dict it gives is filled with the recorded attempt on leaving. A body
    whose process is not this one's child sets the dict's ``cpu_seconds``
    (and ``process``) itself.

    Example:
        >>> with recorded_wall_time(run_dir, resumed=False) as attempt:
        ...     subprocess.run(command)
        >>> attempt['seconds']
    """
    start, cpu = time.monotonic(), children_cpu_seconds()
    attempt: dict = {}
    try:
        yield attempt
    finally:
        seconds = time.monotonic() - start
        if 'cpu_seconds' in attempt:
            cpu = attempt.pop('cpu_seconds')
        else:
            cpu = children_cpu_seconds() - cpu
        process = attempt.pop('process', None)
        attempt.update(record_wall_time(work_dir, seconds, resumed, cpu,
                                        process))


def wall_seconds(work_dir: str) -> Optional[float]:
    """The run's wall time summed over its processes, or None where it was
    not recorded (a run trained outside a benchmark)."""
    path = osp.join(work_dir, WALL_TIME_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return sum(a['seconds'] for a in json.load(f)['attempts'])
