"""Phase state in checkpoints, exports at phase ends, the run's summary."""
import os.path as osp

from mmengine.dist import get_world_size, is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper

from mmincubate.models.assembly import (classifier_checkpoint,
                                        module_checkpoint)
from mmincubate.registry import HOOKS
from mmincubate.utils.checkpoint import save_checkpoint_atomic
from mmincubate.utils.rng import capture_rng, gather_rng_states


@HOOKS.register_module()
class IncubationHook(Hook):
    """Companion of :class:`IncubationLoop` (which adds it if missing).

    - Writes the loop's state (stage plan, incubated modules, per-phase
      metrics) and every rank's random states into every checkpoint, and on
      ``--resume`` gives them back to the loop before the runner loads the
      optimizer state, so a run resumes mid-phase with the phase's optimizer
      and schedulers.
    - In a distributed run the random states of every rank are gathered
      (a collective) right before a ``CheckpointHook`` saves: this hook has
      priority ``VERY_HIGH``, so it runs first; rank 0 writes them all.
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
        self._phase_metrics: dict = {}
        # (iteration, every rank's random states) gathered for a save
        self._gathered = None
        self._attached = None

    def attach(self, loop) -> None:
        """Called by the IncubationLoop whose state this hook checkpoints."""
        self._attached = loop

    def _loop(self, runner):
        """The attached loop, if it is the runner's training loop."""
        loop = self._attached
        return loop if loop is not None and \
            getattr(runner, '_train_loop', None) is loop else None

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    # ------------------------------------------------------------------
    # checkpoints
    # ------------------------------------------------------------------
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
        if self._loop(runner) is not None and get_world_size() > 1 and any(
                self._saves(hook, runner, event) for hook in runner.hooks
                if isinstance(hook, CheckpointHook)):
            self._gathered = (runner.iter, gather_rng_states())

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

    def _rng_states(self, runner) -> list:
        world_size = get_world_size()
        if world_size == 1:
            return gather_rng_states()
        if self._gathered is not None and self._gathered[0] == runner.iter:
            return self._gathered[1]
        # Saved without gathering (e.g. a direct runner.save_checkpoint
        # call): only this rank's states are at hand.
        runner.logger.warning(
            'Saving a checkpoint whose random states were not gathered from '
            'all ranks (IncubationHook gathers them for CheckpointHook); '
            'resuming from it will reseed the ranks instead of replaying '
            'their random streams.')
        return [capture_rng()] + [None] * (world_size - 1)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        loop = self._loop(runner)
        if loop is not None:
            checkpoint['incubation'] = dict(loop.state_dict(),
                                            rng=self._rng_states(runner))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        loop = self._loop(runner)
        # Only a resume continues the schedule; load_from only loads weights.
        if loop is not None and runner._resume:
            loop.restore(checkpoint)

    # ------------------------------------------------------------------
    # stage ends
    # ------------------------------------------------------------------
    def after_incubation_stage(self, runner, stage, assembled: bool,
                               phase_metrics: dict) -> None:
        self._phase_metrics = phase_metrics
        if not (self.export and is_main_process()):
            return
        model = self._model(runner)
        info = dict(iter=runner.iter, epoch=runner.epoch)
        if stage.phase == 'meta':
            self._save(runner, 'meta.pth',
                       classifier_checkpoint(model.meta.state_dict(),
                                             role='meta', **info))
        elif stage.phase == 'incubate':
            for index in stage.modules:
                self._save(runner, f'module_{index}.pth',
                           module_checkpoint(model, index))
            if assembled:
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
        if not self._phase_metrics:
            return
        lines = ['Deep Incubation summary:']
        for tag, metrics in self._phase_metrics.items():
            shown = ', '.join(
                f'{k.split("/", 1)[1] if k.startswith(tag + "/") else k}: '
                f'{v:.2f}' for k, v in metrics.items()
                if isinstance(v, float))
            lines.append(f'  {tag:<10} {shown}')
        runner.logger.info('\n'.join(lines))
