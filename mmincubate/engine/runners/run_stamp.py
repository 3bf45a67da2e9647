"""One wall-clock second per runner in a process.

mmengine names a run after the second it starts in (``work_dir/<stamp>/``,
and the logger, visualizer, message hub and default scope that are global
instances named ``<config>_<stamp>``). A second runner built in the same
process within the same second (tools called as ``main(argv)`` one after
another, a refused run and its retry) would get the first one's instances:
its log in the first run's file, its visualizer writing under the first
run's folder. :func:`wait_for_a_new_second` waits, before the stamp is
taken, until the second differs from the last runner's (at most a second,
and only then).

Example:
    >>> wait_for_a_new_second()        # before Runner.setup_env stamps
    >>> remember_stamp(runner.timestamp)
"""
import time
from typing import Optional

#: mmengine's stamp format (``Runner.setup_env``)
STAMP_FORMAT = '%Y%m%d_%H%M%S'
_last_stamp: Optional[str] = None


def wait_for_a_new_second() -> None:
    """Sleep until this second's stamp differs from the last runner's."""
    while _last_stamp is not None and \
            time.strftime(STAMP_FORMAT) == _last_stamp:
        time.sleep(1.001 - time.time() % 1)


def remember_stamp(stamp: str) -> None:
    """The stamp the runner just built in this process got."""
    global _last_stamp
    _last_stamp = stamp
