"""The speed options through whole short runs (meta, incubation of all
modules, fine-tuning): ``compile`` in a config compiles the blocks one by
one, and neither it (Dynamo's pass-through backend) nor ``with_cp`` nor
bf16 autocast keeps training from running; the first two train exactly as
the default."""
import pytest
import torch

from mmincubate.engine.runners import ExactResumeRunner
from tests.helpers import SHORT_PHASES as SHORT
from tests.helpers import shared_run_cfg as make_cfg


def run(tmp_path, name, **options):
    model = options.pop('model', {})
    cfg = make_cfg(tmp_path / name, phases=SHORT, **model)
    cfg.merge_from_dict(options)
    runner = ExactResumeRunner.from_cfg(cfg)
    runner.train()
    return runner, {k: v.clone() for k, v in runner.model.state_dict().items()}


@pytest.fixture(scope='module')
def default_run(tmp_path_factory):
    return run(tmp_path_factory.mktemp('default'), 'default')[1]


def assert_equal_states(a, b):
    assert a.keys() == b.keys()
    for key, value in a.items():
        assert torch.equal(value, b[key]), key


def test_compile_in_config_compiles_blocks_and_trains_the_same(
        tmp_path, default_run):
    torch._dynamo.reset()
    runner, state = run(tmp_path, 'compiled', compile=dict(backend='eager'))
    blocks = [*runner.model._blocks(runner.model.target),
              *runner.model._blocks(runner.model.meta)]
    assert all(b._compiled_call_impl is not None for b in blocks)
    assert_equal_states(default_run, state)
    torch._dynamo.reset()


def test_with_cp_trains_the_same(tmp_path, default_run):
    _, state = run(tmp_path, 'with_cp', model=dict(with_cp=True))
    assert_equal_states(default_run, state)


def test_bf16_autocast_run(tmp_path, default_run):
    runner, state = run(tmp_path, 'bf16',
                        optim_wrapper=dict(type='BF16AutocastOptimWrapper'))
    wrapper = runner.optim_wrapper
    assert type(wrapper).__name__ == 'BF16AutocastOptimWrapper'
    assert state.keys() == default_run.keys()
    moved = [k for k in state if k.startswith('target.') and
             not torch.equal(state[k], default_run[k])]
    assert moved and all(v.dtype == default_run[k].dtype
                         for k, v in state.items())
