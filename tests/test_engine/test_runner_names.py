"""The runner is built under its name and under its former one, so configs
and work_dirs written before the rename keep working."""
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
