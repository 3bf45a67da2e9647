"""The test session: one thread per process, mmincubate's default scope, and
one shared training run of the digits pipeline (helpers: tests/helpers.py).
"""
import gc
import os
import os.path as osp
import sys
from collections import Counter, defaultdict
from typing import NamedTuple

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.helpers import session_root, shared_run_cfg, train  # noqa: E402


def pytest_configure(config):
    """Tiny models train fastest on one thread, and processes side by side
    (pytest-xdist workers, the processes a test starts) then do not fight
    for the cores."""
    import torch
    torch.set_num_threads(1)
    os.environ['OMP_NUM_THREADS'] = '1'
    os.environ['MKL_NUM_THREADS'] = '1'


def pytest_collection_finish(session):
    """What collection imported (torch, mmengine, mmpretrain, mmdet, ...)
    stays out of garbage collection: mmengine collects garbage whenever it
    builds a dataset, and that then skips the half-million objects the
    imports made, which are never garbage."""
    gc.freeze()


_modules_frozen = set()


def pytest_runtest_setup(item):
    """At each test module's first test: collect, then keep what is alive
    out of later collections too. What earlier modules imported (mmdet's
    and mmseg's models: 200,000 objects) is never garbage, and without
    this every dataset build walked it again (0.1 s each)."""
    if item.module not in _modules_frozen:
        _modules_frozen.add(item.module)
        gc.collect()
        gc.freeze()


@pytest.fixture(autouse=True)
def _mmincubate_scope():
    from mmengine.registry import init_default_scope
    init_default_scope('mmincubate')
    yield


class SharedRun(NamedTuple):
    """The outputs of the shared run: its work_dir (checkpoints
    ``iter_5.pth`` ... ``iter_30.pth``, the exports, ``summary.json``) and
    the final weights of the whole model (meta and target)."""
    work_dir: str
    state: dict


@pytest.fixture(scope='session')
def digits_run(tmp_path_factory) -> SharedRun:
    """The whole pipeline once per test session: meta (12 iterations),
    incubation of all 4 modules in parallel (10), fine-tuning (8), on the
    shipped digits config. With pytest-xdist the first worker to ask trains
    it and the others wait for it and read it."""
    import torch
    from filelock import FileLock
    root = session_root(tmp_path_factory)
    work_dir = osp.join(root, 'digits_run')
    done = osp.join(work_dir, 'state.pth')
    with FileLock(osp.join(root, 'digits_run.lock')):
        if not osp.isfile(done):
            from mmengine.registry import init_default_scope
            init_default_scope('mmincubate')
            _, state = train(shared_run_cfg(work_dir))
            torch.save(state, done + '.part')
            os.replace(done + '.part', done)
    return SharedRun(work_dir, torch.load(done, weights_only=True))


#: the rough duration of a slow test that names none (``seconds=``)
SLOW_SECONDS = 30


def expected_seconds(item) -> float:
    """The rough duration of a test's group (module or class), for
    ordering: a slow test's ``seconds`` (``@pytest.mark.slow(seconds=300)``,
    on the project's slower 2-core machine), else ``SLOW_SECONDS``; 0 for
    the others."""
    marker = item.get_closest_marker('slow')
    return 0 if marker is None else marker.kwargs.get('seconds',
                                                      SLOW_SECONDS)


def pytest_collection_modifyitems(config, items):
    """The longest groups first (stable): a group is what pytest-xdist's
    loadscope runs on one worker (a module, or a class), so module fixtures
    run once; the README's test command keeps this order
    (``--no-loadscope-reorder``). Groups with slow tests go by their
    longest ``seconds``, the others by their number of tests: with several
    workers the long ones start at once instead of last, and the short ones
    fill the gaps."""
    def group(item) -> str:
        return item.nodeid.rsplit('::', 1)[0]

    count = Counter(group(item) for item in items)
    seconds = defaultdict(float)
    for item in items:
        seconds[group(item)] = max(seconds[group(item)],
                                   expected_seconds(item))
    items.sort(key=lambda item: (-seconds[group(item)], -count[group(item)]))
