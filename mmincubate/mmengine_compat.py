"""Every use of mmengine's private internals, in one place.

mmengine 0.10.7 has no public API for these; each is checked against
mmengine's behaviour by ``tests/test_utils/test_mmengine_compat.py``, which
fails when an mmengine release changes it:

- :func:`list_at_root`: mmengine resolves a scoped type
  (``'mmincubate.PlainViT'`` in an mmdet or mmseg config) only among the
  root registry's direct children (``Registry._children``);
- :func:`merge_config`: config inheritance's merge (``_delete_``) for
  dicts outside a file (``Config._merge_a_into_b``);
- :func:`randomness_cfg`: the runner's ``randomness`` settings
  (``Runner._randomness_cfg``);
- :func:`checkpoint_hook_saves`: when ``CheckpointHook`` writes a
  checkpoint (its conditions, copied).

This module imports nothing of mmincubate, so the registry can use it.
"""
from mmengine.config import Config
from mmengine.hooks import CheckpointHook
from mmengine.registry import Registry


def list_at_root(parent: Registry, node: Registry) -> None:
    """Also list ``node`` (a child of ``parent``) among the root registry's
    direct children, under its scope, unless that scope is taken."""
    root = parent._get_root_registry()
    root._children.setdefault(node.scope, node)


def merge_config(override: dict, base: dict) -> dict:
    """``override`` merged onto ``base`` as ``_base_`` inheritance merges
    (``_delete_=True`` replaces); ``base`` is modified and returned."""
    return Config._merge_a_into_b(override, base)


def randomness_cfg(runner) -> dict:
    """The runner's ``randomness`` config (``seed``, ``diff_rank_seed``,
    ``deterministic``)."""
    return runner._randomness_cfg


def checkpoint_hook_saves(hook: CheckpointHook, runner, event: str) -> bool:
    """Whether ``hook`` writes a checkpoint after this ``event``
    (``'iter'``, ``'epoch'``, or ``'val'``: it may save the best one); the
    conditions of mmengine 0.10.7's CheckpointHook."""
    if event == 'iter':
        return not hook.by_epoch and (
            hook.every_n_train_iters(runner, hook.interval, hook.save_begin)
            or (hook.save_last and hook.is_last_train_iter(runner)))
    if event == 'epoch':
        return hook.by_epoch and (
            hook.every_n_epochs(runner, hook.interval, hook.save_begin)
            or (hook.save_last and hook.is_last_train_epoch(runner)))
    return bool(hook.save_best)
