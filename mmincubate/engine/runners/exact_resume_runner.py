"""A Runner whose runs stop and continue exactly, from checkpoints that
are safe to write and read."""
import contextlib
import os
import os.path as osp
from typing import Callable, Optional, Union

import torch
from mmengine.config import Config
from mmengine.dist import master_only
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmincubate.engine.hooks.portable_checkpoint_hook import \
    PortableCheckpointHook
from mmincubate.engine.hooks.random_state_hook import RandomStateHook
from mmincubate.engine.runners.ddp_config import ddp_wrapper_cfg
from mmincubate.engine.runners.distributed_env import \
    init_gloo_without_cuda
from mmincubate.engine.runners.formatted_once_config import \
    FormattedOnceConfig
from mmincubate.engine.runners.resume_checkpoint import \
    find_resumable_checkpoint
from mmincubate.engine.runners.run_stamp import (remember_stamp,
                                                 wait_for_a_new_second)
from mmincubate.models.adapters import freeze_never_used
from mmincubate.registry import RUNNERS
from mmincubate.utils.checkpoint import (CHECKPOINT_READ_ERRORS,
                                         commit_file,
                                         trust_mmengine_checkpoints)
from mmincubate.utils.checkpoint_kinds import (check_torch_checkpoint,
                                               raise_model_load_error)


@RUNNERS.register_module()
class ExactResumeRunner(Runner):
    """mmengine's Runner for runs that stop and continue exactly.

    It composes what does the work; each has its own home:

    - ``--resume`` continues bitwise: :class:`RandomStateHook` keeps the
      random streams, :func:`find_resumable_checkpoint` the newest complete
      checkpoint of the work_dir;
    - :class:`PortableCheckpointHook`: checkpoints load weights-only;
    - :func:`init_gloo_without_cuda` and :func:`ddp_wrapper_cfg`: the
      launch and the DDP wrapper on a CPU-only machine;
    - :func:`freeze_never_used`: DDP wraps exactly what trains;
    - :func:`commit_file`: atomic saves.

    In detail:

    - Resume and ``load_from`` work on torch >= 2.6 (weights-only loading):
      exactly mmengine's own checkpoint types are trusted while reading, and a
      file needing anything else is refused with a clear message.
    - Loading is strict: a key that does not load is an error listing it, not
      a warning.
    - Checkpoints are written atomically (temporary file, fsync, rename), so
      an interrupted save never leaves a half-written ``epoch_N.pth``.
    - Distributed runs work on a CPU-only machine: gloo is chosen when CUDA is
      unavailable and DDP is built without ``device_ids``.
    - ``compile=True`` (or a dict of ``torch.compile`` arguments) compiles a
      model that offers ``compile_blocks`` (:class:`DeepIncubation`) block by
      block instead of its whole ``train_step``: the trainable set changes
      between phases and the hybrids are composed in Python.

    - The config's text (the log, the dump, every checkpoint's ``meta``) is
      formatted once per content (:class:`FormattedOnceConfig`), not at
      every read.
    - Every runner in a process gets a second of its own
      (:mod:`.run_stamp`), so its log, visualizer and ``<stamp>/`` folder
      are its own.

    Example:
        >>> # in a config (the default in configs/_base_/default_runtime.py)
        >>> runner_type = 'ExactResumeRunner'
    """

    inputs_accepted = False

    @classmethod
    def from_cfg(cls, cfg) -> 'ExactResumeRunner':
        if isinstance(cfg, Config):
            cfg = FormattedOnceConfig.of(cfg)
        return super().from_cfg(cfg)

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed:
            init_gloo_without_cuda(self.launcher)
        # a stamp of its own: mmengine's global instances are named by it
        wait_for_a_new_second()
        super().setup_env(env_cfg)
        remember_stamp(self.timestamp)

    def _maybe_compile(self, target: str) -> None:
        compile_cfg = self.cfg.get('compile', None)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        if not compile_cfg or not hasattr(model, 'compile_blocks'):
            return super()._maybe_compile(target)
        kwargs = {} if compile_cfg is True else dict(compile_cfg)
        count = model.compile_blocks(**kwargs)
        self.logger.info(f'Compiled {count} blocks one by one; every phase '
                         'compiles its variants in its first iterations.')

    def wrap_model(self, model_wrapper_cfg: Optional[dict],
                   model: torch.nn.Module):
        # DDP wraps exactly what trains: parameters a backbone never uses
        # (mmpretrain 1.2.0 DeiT3's ln2) would get no gradient
        frozen = freeze_never_used(model)
        if frozen:
            self.logger.info(f'Froze {frozen} backbone parameters that the '
                             'forward never uses.')
        if self.distributed:
            model_wrapper_cfg = self._wrapper_cfg(model_wrapper_cfg, model)
        return super().wrap_model(model_wrapper_cfg, model)

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        """mmengine's hooks, plus :class:`RandomStateHook` (exact resume)
        and :class:`PortableCheckpointHook` (weights-only loading) where the
        config does not list them."""
        super().register_hooks(default_hooks, custom_hooks)
        for hook_type in (RandomStateHook, PortableCheckpointHook):
            if not any(isinstance(h, hook_type) for h in self.hooks):
                self.register_hook(hook_type())  # in any default scope

    def _wrapper_cfg(self, given: Optional[dict],
                     model: torch.nn.Module) -> Optional[dict]:
        return ddp_wrapper_cfg(given, model,
                               self.cfg.get('find_unused_parameters', False))

    def load_or_resume(self) -> None:
        """As mmengine's, but ``--resume`` without a path takes the
        work_dir's own newest complete checkpoint
        (:func:`find_resumable_checkpoint`): it survives a
        ``last_checkpoint`` that an interrupted run left empty or pointing
        at a removed file, and a copied work_dir does not resume the
        original's. With nothing to resume, the run starts from scratch
        with a warning naming the work_dir. The log names the file
        resumed from."""
        if not self._has_loaded and self._resume:
            if self._load_from is None:
                self._load_from = find_resumable_checkpoint(self.work_dir)
                if self._load_from is None:
                    self.logger.warning(
                        f'--resume: the work_dir {self.work_dir} holds no '
                        'checkpoint to resume from (no last_checkpoint, no '
                        'epoch_N.pth or iter_N.pth); training starts from '
                        'scratch.')
                    self._resume = False
            if self._load_from is not None:
                self.logger.info(f'Resuming from {self._load_from}')
        super().load_or_resume()
        if getattr(self, '_config_dump_pending', False):
            self._config_dump_pending = False
            super().dump_config()
        #: the checkpoint to load or resume (if any) was accepted: errors
        #: from here on are not bad input of the start
        self.inputs_accepted = True

    def dump_config(self) -> None:
        """Copy the config into the work_dir only once the checkpoint to
        load or resume has been accepted (:meth:`load_or_resume`): a
        refused resume leaves the copy of the run it refused to continue
        as it was."""
        self._config_dump_pending = True

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = True,
                        revise_keys: list = [(r'^module.', '')]):
        """Load a checkpoint into the model; strict by default.

        A file that is not a PyTorch checkpoint, cannot be read, or that
        weights-only loading refuses raises what :func:`load_checkpoint_file`
        raises for it; one of this project's other kinds of checkpoint that
        does not fit the model (a module, the meta model, an incubation
        training checkpoint) raises :class:`CheckpointFormatError` saying
        what to use instead (:func:`wrong_kind_message`); other errors of
        fitting the weights propagate unchanged.
        """
        if osp.isfile(filename):
            check_torch_checkpoint(filename)
        try:
            with trust_mmengine_checkpoints():
                return super().load_checkpoint(
                    filename, map_location=map_location, strict=strict,
                    revise_keys=revise_keys)
        except CHECKPOINT_READ_ERRORS as error:
            raise_model_load_error(filename, error)

    @master_only
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None):
        """Save as mmengine does, but atomically for local directories."""
        kwargs = dict(
            file_client_args=file_client_args,
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            meta=meta,
            by_epoch=by_epoch,
            backend_args=backend_args)
        is_local = (file_client_args is None and backend_args is None
                    and '://' not in str(out_dir))
        if not is_local:
            return super().save_checkpoint(out_dir, filename, **kwargs)
        tmp_name = f'.{filename}.{os.getpid()}.tmp'
        tmp_path, final_path = (osp.join(out_dir, tmp_name),
                                osp.join(out_dir, filename))
        try:
            super().save_checkpoint(out_dir, tmp_name, **kwargs)
            commit_file(tmp_path, final_path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp_path)


# its former name: configs and work_dirs written with it keep working
RUNNERS.register_module(name='SafeCheckpointRunner', module=ExactResumeRunner)
