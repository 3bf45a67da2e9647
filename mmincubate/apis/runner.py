"""The runner a tool builds from a config, and how its start fails."""
import os
import os.path as osp
import re
import shutil

from mmengine.config import Config
from mmengine.registry import RUNNERS, init_default_scope

from mmincubate.utils.checkpoint import (CheckpointFormatError,
                                         UnsafeCheckpointError)

#: bad input that a tool reports in one paragraph (``error: ...``, exit
#: status 1) when its checks find it before anything is built
INPUT_ERRORS = (ValueError, FileNotFoundError, CheckpointFormatError,
                UnsafeCheckpointError)


def build_runner(cfg: Config):
    """Build ``cfg.runner_type`` if set, else mmincubate's
    :class:`ExactResumeRunner` (atomic checkpoints, strict and
    weights-only-safe loading, exact resume, CPU DDP).

    Example:
        >>> runner = build_runner(Config.fromfile(
        ...     'configs/e2e/vit_tiny_e2e_digits.py'))
    """
    if 'runner_type' in cfg:
        # resolve runner_type in the config's scope (e.g. mmincubate)
        if cfg.get('default_scope') is not None:
            init_default_scope(cfg.default_scope)
        return RUNNERS.build(cfg)
    from mmincubate.engine.runners import ExactResumeRunner
    return ExactResumeRunner.from_cfg(cfg)


_TIMESTAMP = re.compile(r'\d{8}_\d{6}')


def run_reporting_input_errors(cfg: Config, action: str = 'train'):
    """Build the runner and call ``runner.<action>()`` (``train``, ``val``
    or ``test``); return the runner and what the action returned.

    Bad input (:data:`INPUT_ERRORS`) that only shows while the runner is
    built or loads its checkpoint (weights that do not fit the model, a
    dataset that is not there) ends the run as one paragraph, ``error:
    ...`` (``SystemExit``), printed last, after mmengine's setup output;
    the ``<work_dir>/<timestamp>/`` log folder of the failed start is
    removed, and the work_dir too if this start created it and it is
    empty. Errors once the checkpoint has been accepted
    (``runner.inputs_accepted``, set by :class:`ExactResumeRunner`)
    propagate unchanged, files kept.

    Example:
        >>> runner, metrics = run_reporting_input_errors(cfg, 'test')
    """
    work_dir = osp.abspath(cfg.work_dir)
    existed = osp.isdir(work_dir)
    before = set(os.listdir(work_dir)) if existed else set()
    runner = None
    try:
        runner = build_runner(cfg)
        return runner, getattr(runner, action)()
    except INPUT_ERRORS as error:
        if runner is not None and getattr(runner, 'inputs_accepted', True):
            raise
        _remove_failed_start(work_dir, existed, before)
        raise SystemExit(f'error: {error}') from None


def _remove_failed_start(work_dir: str, existed: bool, before: set) -> None:
    if not osp.isdir(work_dir):
        return
    for name in set(os.listdir(work_dir)) - before:
        path = osp.join(work_dir, name)
        if _TIMESTAMP.fullmatch(name) and osp.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
    if not existed and not os.listdir(work_dir):
        os.rmdir(work_dir)
