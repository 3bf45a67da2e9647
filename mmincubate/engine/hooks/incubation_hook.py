"""Phase state in checkpoints, exports at phase ends, the run's summary."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmincubate.registry import HOOKS
from mmincubate.utils.checkpoint import save_checkpoint_atomic


@HOOKS.register_module()
class IncubationHook(Hook):
    """Companion of :class:`IncubationLoop` (which adds it if missing).

    - Writes the loop's state (stage plan, incubated modules, per-phase
      metrics) into every checkpoint, and on ``--resume`` gives it back to
      the loop (with the random states :class:`RandomStateHook` saved)
      before the runner loads the optimizer state, so a run resumes
      mid-phase with the phase's optimizer and schedulers.
    - Exports, atomically and weights only, into the work_dir, the files
      the model's ``phase_exports`` names at a stage's end. Deep
      Incubation: ``meta.pth`` (the meta classifier) after ``meta``;
      ``module_<i>.pth`` after module i's incubation (input of
      ``tools/assemble.py``); ``assembled.pth`` once all modules are
      incubated; ``final.pth`` after ``finetune``. Local learning:
      ``assembled.pth`` after ``local`` (without the auxiliary networks),
      ``final.pth`` after ``finetune``. The classifier files are plain
      mmpretrain
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
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        loop = self._loop(runner)
        if loop is not None:
            checkpoint['incubation'] = loop.state_dict()

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
        files = self._model(runner).phase_exports(
            stage.phase, stage.modules, assembled, iter=runner.iter,
            epoch=runner.epoch)
        for filename, checkpoint in files.items():
            self._save(runner, filename, checkpoint)

    @staticmethod
    def _save(runner, filename: str, checkpoint: dict) -> None:
        path = osp.join(runner.work_dir, filename)
        save_checkpoint_atomic(checkpoint, path)
        runner.logger.info(f'Exported {path}')

    def after_run(self, runner) -> None:
        if not self._phase_metrics:
            return
        lines = ['Accuracy after every phase:']
        for tag, metrics in self._phase_metrics.items():
            shown = ', '.join(
                f'{k.split("/", 1)[1] if k.startswith(tag + "/") else k}: '
                f'{v:.2f}' for k, v in metrics.items()
                if isinstance(v, float))
            lines.append(f'  {tag:<10} {shown}')
        runner.logger.info('\n'.join(lines))
