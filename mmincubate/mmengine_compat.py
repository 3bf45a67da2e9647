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
  checkpoint (its conditions, copied);
- :func:`remember_external_config_lookups`: a config base in another
  codebase (``'mmdet::_base_/default_runtime.py'``) is looked up in that
  package's model index first (``mmengine.config.utils._get_cfg_metainfo``
  reads all of mmdet's 300 metafiles, about 0.4 s, for every such base of
  every config loaded), and ``is_installed`` reloads ``pkg_resources`` each
  time; both answers are remembered for the process
  (:mod:`mmincubate` calls it when imported).

This module imports nothing of mmincubate and of mmengine only its config
(no torch), so the package and the registry can use it.
"""
import copy
import functools
from typing import TYPE_CHECKING, Callable, Dict, Tuple

import mmengine.config.config as config_module
import mmengine.config.utils as config_utils
from mmengine.config import Config

if TYPE_CHECKING:
    from mmengine.hooks import CheckpointHook
    from mmengine.registry import Registry


def list_at_root(parent: 'Registry', node: 'Registry') -> None:
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


def checkpoint_hook_saves(hook: 'CheckpointHook', runner,
                          event: str) -> bool:
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


def _remembered_metainfo(lookup: Callable) -> Callable:
    """``lookup`` (``_get_cfg_metainfo``) answering each (package path,
    config name) once: its entry (a copy each time) or its ``ValueError``
    (what a ``_base_`` path gets, which has no metafile entry)."""
    answers: Dict[Tuple[str, str], Tuple[bool, object]] = {}

    @functools.wraps(lookup)
    def remembered(package_path: str, cfg_path: str) -> dict:
        key = (package_path, cfg_path)
        if key not in answers:
            try:
                answers[key] = (True, lookup(package_path, cfg_path))
            except ValueError as error:
                answers[key] = (False, error.args)
        found, answer = answers[key]
        if not found:
            raise ValueError(*answer)
        return copy.deepcopy(answer)

    remembered.remembers = True
    return remembered


def _remembered_installed(check: Callable) -> Callable:
    """``check`` (``is_installed``) remembering the packages it found."""
    found = set()

    @functools.wraps(check)
    def remembered(package: str) -> bool:
        if package not in found and check(package):
            found.add(package)
        return package in found

    remembered.remembers = True
    return remembered


def remember_external_config_lookups() -> None:
    """Remember, for this process, mmengine's model-index lookup and
    installed-package check of ``package::path`` config bases (once is
    enough: neither changes while a process runs). Idempotent."""
    if not getattr(config_utils._get_cfg_metainfo, 'remembers', False):
        config_utils._get_cfg_metainfo = _remembered_metainfo(
            config_utils._get_cfg_metainfo)
    if not getattr(config_module.is_installed, 'remembers', False):
        config_module.is_installed = _remembered_installed(
            config_module.is_installed)
