"""The wall time of a benchmark run, recorded beside its summary: every
process that trained it (startup, training, validation, checkpoints,
exports), with its processor, since a resumed run may continue on another
machine."""
import json
import os.path as osp
import time
from typing import Optional

from mmincubate.utils.checkpoint import dump_json_atomic
from .step_machine import cpu_model

WALL_TIME_FILE = 'wall_time.json'


def record_wall_time(work_dir: str, seconds: float, resumed: bool) -> None:
    """Append one process's wall time to the run's record.

    Example:
        >>> record_wall_time('work_dirs/b/e2e_seed0', 812.4, resumed=False)
    """
    path = osp.join(work_dir, WALL_TIME_FILE)
    record = dict(attempts=[])
    if osp.isfile(path):
        with open(path) as f:
            record = json.load(f)
    record['attempts'].append(dict(
        seconds=seconds, resumed=resumed, processor=cpu_model(),
        ended=time.strftime('%Y-%m-%d %H:%M:%S %Z')))
    dump_json_atomic(record, path)


def wall_seconds(work_dir: str) -> Optional[float]:
    """The run's wall time summed over its processes, or None where it was
    not recorded (a run trained outside a benchmark)."""
    path = osp.join(work_dir, WALL_TIME_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return sum(a['seconds'] for a in json.load(f)['attempts'])
