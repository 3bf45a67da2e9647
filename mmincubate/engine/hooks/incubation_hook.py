"""Phase state in checkpoints, exports at phase ends, the run's summary."""
import os.path as osp

from mmengine.dist import get_world_size, is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper

from mmincubate.models.assembly import (classifier_checkpoint,
                                        module_checkpoint)
from mmincubate.registry import HOOKS
from mmincubate.utils.checkpoint import save_checkpoint_atomic


@HOOKS.register_module()
class IncubationHook(Hook):
    """Companion of :class:`IncubationLoop`.

    - Writes the loop's state (stage plan, incubated modules, per-phase
      metrics, random states) into every checkpoint, and on ``--resume``
      restores it before the runner loads the optimizer state, so a run
      resumes mid-phase with the phase's optimizer and schedulers.
    - In a distributed run, the random states of every rank go into the
      checkpoint (rank 0 writes it alone): right before a ``CheckpointHook``
      saves, this hook (priority ``VERY_HIGH``, so it runs first) gathers
      them from all ranks; on resume each rank restores its own
      (:meth:`IncubationLoop.restore`).
    - Exports, atomically and weights only, into the work_dir:
      ``meta.pth`` (the meta classifier) after ``meta``; ``module_<i>.pth``
      after module i's incubation (input of ``tools/assemble.py``);
      ``assembled.pth`` once all modules are incubated; ``final.pth`` after
      ``finetune``. The classifier files are plain mmpretrain
      ``ImageClassifier`` checkpoints: ``tools/test.py`` evaluates them with
      the target's E2E config, mmdet and mmseg load their backbone.
    - Prints the accuracy of every phase at the end (``CostAccountingHook``
      writes them, with the cost, into ``summary.json``).

    Example:
        >>> custom_hooks = [dict(type='IncubationHook')]
    """

    priority = 'VERY_HIGH'

    def __init__(self, export: bool = True) -> None:
        self.export = export

    @staticmethod
    def _loop(runner):
        from mmincubate.engine.loops import IncubationLoop
        loop = getattr(runner, '_train_loop', None)
        return loop if isinstance(loop, IncubationLoop) else None

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        self._gather_rng_if_due(runner, 'iter')

    def after_train_epoch(self, runner) -> None:
        self._gather_rng_if_due(runner, 'epoch')

    def after_val_epoch(self, runner, metrics=None) -> None:
        if metrics:
            self._gather_rng_if_due(runner, 'val')

    def _gather_rng_if_due(self, runner, event: str) -> None:
        """Gather every rank's random states if a checkpoint hook saves
        now. All ranks agree on the answer, so the collective is safe."""
        loop = self._loop(runner)
        if loop is not None and get_world_size() > 1 and any(
                self._saves(hook, runner, event) for hook in runner.hooks
                if isinstance(hook, CheckpointHook)):
            loop.gather_rng()

    @staticmethod
    def _saves(hook: CheckpointHook, runner, event: str) -> bool:
        """Whether ``hook`` writes a checkpoint after this ``event``; the
        conditions of mmengine 0.10.7's CheckpointHook (``'val'``: it may
        save the best checkpoint)."""
        if event == 'iter':
            return not hook.by_epoch and (
                hook.every_n_train_iters(runner, hook.interval,
                                         hook.save_begin)
                or (hook.save_last and hook.is_last_train_iter(runner)))
        if event == 'epoch':
            return hook.by_epoch and (
                hook.every_n_epochs(runner, hook.interval, hook.save_begin)
                or (hook.save_last and hook.is_last_train_epoch(runner)))
        return bool(hook.save_best)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        loop = self._loop(runner)
        if loop is not None:
            checkpoint['incubation'] = loop.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        loop = self._loop(runner)
        # Only a resume continues the schedule; load_from only loads weights.
        if loop is not None and runner._resume:
            loop.restore(checkpoint)

    def after_incubation_stage(self, runner, stage) -> None:
        if not (self.export and is_main_process()):
            return
        loop, model = self._loop(runner), self._model(runner)
        info = dict(iter=loop.iter, epoch=loop.epoch)
        if stage.phase == 'meta':
            self._save(runner, 'meta.pth',
                       classifier_checkpoint(model.meta.state_dict(),
                                             role='meta', **info))
        elif stage.phase == 'incubate':
            for index in stage.modules:
                self._save(runner, f'module_{index}.pth',
                           module_checkpoint(model, index))
            if loop.assembly_complete(stage):
                self._save(runner, 'assembled.pth',
                           classifier_checkpoint(model.target.state_dict(),
                                                 role='assembled', **info))
        elif stage.phase == 'finetune':
            self._save(runner, 'final.pth',
                       classifier_checkpoint(model.target.state_dict(),
                                             role='final', **info))

    @staticmethod
    def _save(runner, filename: str, checkpoint: dict) -> None:
        path = osp.join(runner.work_dir, filename)
        save_checkpoint_atomic(checkpoint, path)
        runner.logger.info(f'Exported {path}')

    def after_run(self, runner) -> None:
        loop = self._loop(runner)
        if loop is None or not loop.phase_metrics:
            return
        lines = ['Deep Incubation summary:']
        for tag, metrics in loop.phase_metrics.items():
            shown = ', '.join(
                f'{k.split("/", 1)[1] if k.startswith(tag + "/") else k}: '
                f'{v:.2f}' for k, v in metrics.items()
                if isinstance(v, float))
            lines.append(f'  {tag:<10} {shown}')
        runner.logger.info('\n'.join(lines))
