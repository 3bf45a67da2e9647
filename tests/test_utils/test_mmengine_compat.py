"""mmincubate.mmengine_compat against mmengine itself: each private use
still does what mmincubate relies on. A failure here means an mmengine
release changed it; fix the compatibility module, not the callers."""
import inspect
import logging
from types import SimpleNamespace

import pytest
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner

from mmincubate.mmengine_compat import (checkpoint_hook_saves, list_at_root,
                                        merge_config, randomness_cfg)


def test_scoped_types_resolve_from_other_codebases():
    import mmincubate  # noqa: F401  (registers)
    from mmdet.registry import MODELS as MMDET_MODELS
    from mmengine.registry import DefaultScope
    from mmengine.registry import MODELS as ROOT_MODELS
    from mmincubate.registry import MODELS
    assert ROOT_MODELS._children['mmincubate'] is MODELS
    with DefaultScope.overwrite_default_scope('mmdet'):
        assert MMDET_MODELS.get('mmincubate.PlainViT').__name__ == 'PlainViT'
    # a node two levels down is listed at the root; a second node of the
    # same scope elsewhere does not replace it
    from mmengine.registry import Registry
    root = Registry('thing')
    middle = Registry('thing', parent=root, scope='middle')
    leaf = Registry('thing', parent=middle, scope='leaf')
    list_at_root(middle, leaf)
    assert root._children['leaf'] is leaf
    other = Registry('thing', parent=Registry('thing', parent=root,
                                              scope='other'), scope='leaf')
    list_at_root(other.parent, other)
    assert root._children['leaf'] is leaf

def test_merge_is_config_inheritance():
    base = dict(a=dict(b=1, c=2), d=[1, 2])
    assert merge_config(dict(a=dict(c=3), d=[3]), base) == dict(
        a=dict(b=1, c=3), d=[3])
    assert merge_config(dict(a=dict(_delete_=True, e=4)),
                        dict(a=dict(b=1))) == dict(a=dict(e=4))


def test_the_runner_keeps_its_randomness_settings():
    source = inspect.getsource(Runner.__init__)
    assert 'self._randomness_cfg = randomness' in source
    runner = SimpleNamespace(_randomness_cfg=dict(seed=3,
                                                  diff_rank_seed=True))
    assert randomness_cfg(runner) == dict(seed=3, diff_rank_seed=True)


class _Runner(SimpleNamespace):
    logger = logging.getLogger('test_mmengine_compat')


@pytest.mark.parametrize('hook_cfg', [
    dict(interval=3, by_epoch=False),
    dict(interval=3, by_epoch=False, save_begin=4),
    dict(interval=4, by_epoch=False, save_last=False),
    dict(interval=2, by_epoch=True),
    dict(interval=3, by_epoch=True, save_begin=2),
    dict(interval=5, by_epoch=True, save_last=False),
])
def test_the_save_conditions_are_checkpoint_hooks(hook_cfg, monkeypatch):
    """Ours say 'saves' exactly where CheckpointHook saves."""
    hook = CheckpointHook(**hook_cfg)
    saved = []
    monkeypatch.setattr(hook, '_save_checkpoint',
                        lambda runner: saved.append(True))
    for step in range(11):
        runner = _Runner(iter=step, epoch=step, max_iters=11, max_epochs=11)
        for event, call in (('iter', lambda: hook.after_train_iter(
                runner, step)), ('epoch', lambda: hook.after_train_epoch(
                    runner))):
            saved.clear()
            call()
            assert checkpoint_hook_saves(hook, runner, event) == bool(saved), \
                (hook_cfg, step, event)
    assert checkpoint_hook_saves(CheckpointHook(save_best='auto'), None,
                                 'val')
    assert not checkpoint_hook_saves(CheckpointHook(), None, 'val')
