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


def test_external_bases_are_looked_up_through_the_remembered_names():
    """mmengine resolves ``package::path`` bases through the two names
    remember_external_config_lookups replaces, by global lookup at call
    time; importing mmincubate replaced them."""
    import mmengine.config.config as config_module
    import mmengine.config.utils as config_utils
    from mmengine.config import Config

    import mmincubate  # noqa: F401  (replaces them)
    assert '_get_cfg_metainfo(package_path, cfg_file)' in inspect.getsource(
        config_utils._get_external_cfg_path)
    resolve = inspect.getsource(Config._get_cfg_path)
    assert 'is_installed(package)' in resolve
    assert '_get_external_cfg_path(package_path, cfg_path)' in resolve
    assert config_utils._get_cfg_metainfo.remembers
    assert config_module.is_installed.remembers


def test_remembered_lookups_answer_as_mmengine_does(monkeypatch):
    """A transfer config (mmdet and mmpretrain bases) loads to the same
    dict with mmengine's own lookups, and the remembered ones ask
    mmengine once per base."""
    import mmengine.config.config as config_module
    import mmengine.config.utils as config_utils
    from mmengine.config import Config

    from mmincubate.mmengine_compat import (_remembered_installed,
                                            _remembered_metainfo)
    from tests.helpers import ROOT
    config = (f'{ROOT}/configs/mask_rcnn/'
              'mask-rcnn_vit-b-incub_simplefpn_1x_coco.py')
    lookup = config_utils._get_cfg_metainfo.__wrapped__
    check = config_module.is_installed.__wrapped__
    calls = []

    def counted_lookup(package_path, cfg_path):
        calls.append(cfg_path)
        return lookup(package_path, cfg_path)

    monkeypatch.setattr(config_utils, '_get_cfg_metainfo', lookup)
    monkeypatch.setattr(config_module, 'is_installed', check)
    expected = Config.fromfile(config).to_dict()
    monkeypatch.setattr(config_utils, '_get_cfg_metainfo',
                        _remembered_metainfo(counted_lookup))
    monkeypatch.setattr(config_module, 'is_installed',
                        _remembered_installed(check))
    assert Config.fromfile(config).to_dict() == expected
    first = list(calls)
    assert first and len(first) == len(set(first))
    assert Config.fromfile(config).to_dict() == expected
    assert calls == first  # nothing asked again


def test_a_remembered_lookup_returns_copies_and_raises_again():
    from mmincubate.mmengine_compat import _remembered_metainfo
    calls = []

    def lookup(package_path, cfg_path):
        calls.append(cfg_path)
        if cfg_path.startswith('_base_'):
            raise ValueError(f'Expected configs: ..., but got {cfg_path}')
        return {'Config': f'configs/{cfg_path}'}

    remembered = _remembered_metainfo(lookup)
    entry = remembered('pkg', 'a/b')
    entry['Config'] = 'changed'
    assert remembered('pkg', 'a/b') == {'Config': 'configs/a/b'}
    for _ in range(2):
        with pytest.raises(ValueError, match='but got _base_/x'):
            remembered('pkg', '_base_/x')
    assert calls == ['a/b', '_base_/x']
