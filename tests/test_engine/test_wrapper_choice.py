"""Which DDP wrapper the runner gives a model in a distributed run: the one
owning the per-hybrid step for a model that declares it, mmengine's
otherwise, a config's own choice always (checked on a built runner; the
two-process runs in tests/test_tools/test_dist_train.py train with it)."""
from mmengine.config import Config

from mmincubate.engine.runners import ExactResumeRunner
from mmincubate.registry import MODEL_WRAPPERS
from tests.helpers import E2E_DIGITS, shared_run_cfg


def test_wrapper_configs(tmp_path):
    runner = ExactResumeRunner.from_cfg(shared_run_cfg(str(tmp_path)))
    model = runner.model
    assert hasattr(model, 'steps_hybrid_by_hybrid')
    chosen = runner._wrapper_cfg(None, model)
    assert chosen == dict(
        type='mmincubate.PerHybridDistributedDataParallel',
        broadcast_buffers=False, find_unused_parameters=False,
        device_ids=None)
    assert MODEL_WRAPPERS.get(chosen['type']).__name__ == \
        'PerHybridDistributedDataParallel'
    # a config's own wrapper and settings are kept
    own = runner._wrapper_cfg(
        dict(type='MMDistributedDataParallel', broadcast_buffers=True),
        model)
    assert own['type'] == 'MMDistributedDataParallel'
    assert own['broadcast_buffers'] is True

    cfg = Config.fromfile(E2E_DIGITS)
    cfg.work_dir = str(tmp_path / 'e2e')
    plain = ExactResumeRunner.from_cfg(cfg)
    assert plain._wrapper_cfg(None, plain.model)['type'] == \
        'MMDistributedDataParallel'
