"""Phase state in checkpoints, exports at phase ends, the run's summary."""
import json
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
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
    - Exports, atomically and weights only, into the work_dir:
      ``meta.pth`` (the meta classifier) after ``meta``; ``module_<i>.pth``
      after module i's incubation (input of ``tools/assemble.py``);
      ``assembled.pth`` once all modules are incubated; ``final.pth`` after
      ``finetune``. The classifier files are plain mmpretrain
      ``ImageClassifier`` checkpoints: ``tools/test.py`` evaluates them with
      the target's E2E config, mmdet and mmseg load their backbone.
    - Prints and saves (``summary.json``) the accuracy of every phase.

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
        if is_main_process():
            with open(osp.join(runner.work_dir, 'summary.json'), 'w') as f:
                json.dump(loop.phase_metrics, f, indent=2)
