"""A training config checked before anything is built or written.

mmengine builds the runner first (logger, ``<work_dir>/<timestamp>/``, the
config copy, hundreds of lines of environment and config) and only then
builds the model, the loop and reads checkpoints. A bad input found there
ends as the last line of a long traceback and leaves files behind. These
checks find the common ones first, from the config alone, and raise
``ValueError`` (or :class:`CheckpointFormatError`) with one paragraph that
names the problem and the fix. ``tools/train.py`` runs them for real runs
and for ``--dry-run`` alike.

Example:
    >>> cfg = Config.fromfile('configs/incubate/vit_tiny_k4_digits.py')
    >>> check_training_inputs(cfg)           # raises on bad input
"""
import contextlib
import logging
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from mmincubate.apis.data_checks import check_dataset_paths
from mmincubate.engine.loops import schedule
from mmincubate.engine.runners.resume_checkpoint import \
    find_resumable_checkpoint
from mmincubate.models.algorithms.module_split import (DEFAULT_NUM_MODULES,
                                                      split_depth)
from mmincubate.utils.checkpoint import (CheckpointFormatError,
                                         load_checkpoint_file)
from mmincubate.utils.checkpoint_kinds import (checkpoint_kind,
                                               wrong_kind_message)


def is_incubation(cfg: Config) -> bool:
    """Whether ``cfg`` trains with an ``IncubationLoop``."""
    return schedule.uses_incubation_loop(cfg)


@contextlib.contextmanager
def _quiet_logger():
    """Building a backbone logs (timm's feature info): not during a check."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def target_depth(model_cfg: dict, scope: Optional[str] = 'mmincubate') -> int:
    """The number of blocks of a ``DeepIncubation`` config's target, from
    its backbone built in the config's default ``scope`` on the meta device
    (no memory, no initialisation; on the CPU where a backbone cannot be
    built on the meta device)."""
    from mmincubate.models.adapters import adapter_for
    from mmincubate.registry import INCUBATION_ADAPTERS, MODELS
    backbone_cfg = dict(model_cfg['target']['backbone'])
    backbone_cfg.pop('init_cfg', None)
    with _quiet_logger(), DefaultScope.overwrite_default_scope(scope):
        try:
            with torch.device('meta'):
                backbone = MODELS.build(backbone_cfg)
        except (RuntimeError, NotImplementedError):
            backbone = MODELS.build(backbone_cfg)
    adapter = (INCUBATION_ADAPTERS.build(model_cfg['adapter'])
               if model_cfg.get('adapter') else adapter_for(backbone))
    return len(adapter.blocks(backbone))


def check_model_split(model_cfg: dict,
                      scope: Optional[str] = 'mmincubate') -> int:
    """K of a ``DeepIncubation`` config (default ``scope``: the config's),
    after checking that the split fits the target (``model.num_modules``
    divides its depth, or ``model.module_depths`` sums to it)."""
    num_modules = model_cfg.get('num_modules')
    module_depths = model_cfg.get('module_depths')
    if num_modules is None and module_depths is None:
        num_modules = DEFAULT_NUM_MODULES
    depth = target_depth(model_cfg, scope)
    try:
        return len(split_depth(depth, num_modules, module_depths))
    except ValueError as error:
        raise ValueError(f'model: {error}') from None


def check_checkpoint_file(filename: Optional[str], key: str, wanted: str,
                          must_exist: bool = True) -> Optional[dict]:
    """Check a checkpoint a config names under ``key``: that it exists
    (when ``must_exist``), is a PyTorch checkpoint, and is not a module
    checkpoint (which never fits a whole model; the other kinds are named
    when their weights do not fit, as they are loaded); return its
    content."""
    if filename is None:
        return None
    if not osp.isfile(filename):
        if must_exist:
            raise FileNotFoundError(
                f'{key}: "{filename}" does not exist. Train or export it '
                'first, or correct the path.')
        return None
    try:  # its keys and meta: the tensors mapped, not read
        checkpoint = load_checkpoint_file(filename, trust_mmengine=True,
                                          mmap=True)
    except CheckpointFormatError as error:
        raise CheckpointFormatError(f'{key}: {error}') from None
    if checkpoint_kind(checkpoint)['kind'] == 'module':
        message = wrong_kind_message(filename, checkpoint, wanted)
        raise CheckpointFormatError(f'{key}: {message}')
    return checkpoint


def resume_source(cfg: Config) -> Optional[str]:
    """The file a run of ``cfg`` resumes from: the named ``load_from``, or
    the work_dir's own latest checkpoint; None when it does not resume.
    For ``--resume`` without a path, the file found is written into
    ``cfg.load_from``, so the runner resumes exactly the file checked."""
    if not cfg.get('resume'):
        return None
    if not cfg.get('load_from'):
        cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
    return cfg.load_from


def check_resume_plan(checkpoint: dict, filename: str, stages: list) -> None:
    """Refuse to resume a checkpoint written under another incubation
    schedule (phases, modules, lengths), before anything is written."""
    saved = (checkpoint.get('incubation') or {}).get('plan')
    if saved is None:  # written before plans were recorded
        return
    planned = schedule.plan(stages)
    if saved != planned:
        raise ValueError(
            f'--resume: "{filename}" was written by another incubation '
            f'schedule: {saved} (phase, modules, length, unit), where this '
            f'config and command line give {planned}. Resume with the '
            'config and --phases/--modules the run started with, or train '
            'the new schedule in a new --work-dir.')


def check_training_inputs(cfg: Config, stages: Optional[list] = None,
                          real_run: bool = True) -> None:
    """Check the checkpoints and the data a training config names, and that
    a resume fits the schedule (``stages``, for an incubation config).

    Files that do not exist yet are an error only in a ``real_run``
    (``--dry-run`` reports them as not found yet)."""
    if real_run:
        check_dataset_paths(cfg, ('train_dataloader', 'val_dataloader'))
    model_cfg = cfg.get('model') or {}
    for key, wanted in (('meta_checkpoint', 'meta'),
                        ('target_checkpoint', 'target')):
        if model_cfg.get(key) is not None:
            check_checkpoint_file(model_cfg[key], f'model.{key}', wanted,
                                  must_exist=real_run)
    source = resume_source(cfg)
    if source is not None and '://' not in source:
        checkpoint = check_checkpoint_file(source, '--resume', 'model')
        if stages is not None:
            check_resume_plan(checkpoint, source, stages)
    elif not cfg.get('resume') and cfg.get('load_from'):
        check_checkpoint_file(cfg.load_from, 'load_from', 'model',
                              must_exist=real_run)
