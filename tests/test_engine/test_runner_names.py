"""How the runner is built: under its name and under its former one (so
configs and work_dirs written before the rename keep working), and with a
second of its own in the process (its logger and log folder its own)."""
import pytest

from mmincubate.apis.runner import build_runner
from mmincubate.engine.runners import ExactResumeRunner
from tests.helpers import short_cfg


@pytest.mark.parametrize('name', ['ExactResumeRunner', 'SafeCheckpointRunner',
                                  'mmincubate.SafeCheckpointRunner'])
def test_runner_type_builds_the_exact_resume_runner(tmp_path, name):
    cfg = short_cfg(str(tmp_path), [dict(phase='meta', max_iters=1)])
    cfg.runner_type = name
    assert type(build_runner(cfg)) is ExactResumeRunner


def test_an_unknown_runner_type_is_not_built(tmp_path):
    cfg = short_cfg(str(tmp_path), [dict(phase='meta', max_iters=1)])
    cfg.runner_type = 'NoSuchRunner'
    with pytest.raises(KeyError, match='NoSuchRunner'):
        build_runner(cfg)


def test_runners_built_in_turn_get_their_own_stamp_and_log(tmp_path):
    """mmengine names the logger, visualizer and log folder by the second a
    runner starts in: runners built in turn in one process (after the
    first, a fraction of a second each) must not share them."""
    runners = [build_runner(short_cfg(str(tmp_path / 'w'),
                                      [dict(phase='meta', max_iters=1)]))
               for _ in range(3)]
    for what in ('timestamp', 'log_dir', 'logger', 'visualizer'):
        values = [getattr(runner, what) for runner in runners]
        assert len({id(v) if what in ('logger', 'visualizer') else v
                    for v in values}) == 3, (what, values)
