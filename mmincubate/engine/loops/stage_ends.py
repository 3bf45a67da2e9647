"""What :class:`IncubationLoop` does at validations and stage ends: the
validations the algorithm names, the assembled model once every module is
trained, the ``after_incubation_stage`` event (exports)."""
import copy
from typing import Dict, List

import numpy as np

from . import schedule
from .schedule import Stage

#: the validation tag of the trained model itself: its metrics keep their
#: own names (``accuracy/top1``), every other tag's are prefixed ``tag/``
UNPREFIXED_TAG = 'final'


def tagged(tag: str, name: str) -> str:
    """A metric's name (or a metric's prefix) under validation ``tag``.

    Example:
        >>> tagged('meta', 'accuracy/top1'), tagged('final', 'accuracy/top1')
        ('meta/accuracy/top1', 'accuracy/top1')
    """
    return name if tag == UNPREFIXED_TAG else f'{tag}/{name}'


class StageEnds:
    """The validation and stage-end part of :class:`IncubationLoop` (which
    sets ``runner``, ``stages``, ``num_modules``, ``phase_metrics``,
    ``incubated_modules``, ``_model``, ``_epoch`` and ``_iter``)."""

    phase_metrics: Dict[str, dict]
    incubated_modules: List[int]

    def _validation_due(self, stage: Stage) -> bool:
        return self.runner.val_loop is not None and schedule.validation_due(
            stage, self._epoch, self._iter)

    def _validate_stage(self, stage: Stage) -> None:
        for tag, what in self._model.stage_validations(stage.phase,
                                                       stage.modules):
            self._validate(tag, what)

    def _validate(self, tag: str, what) -> None:
        """Validate ``what`` (see ``DeepIncubation.evaluate_as``) with its
        metrics prefixed ``tag/`` (``final``: unprefixed, the trained
        target's); kept under ``tag``."""
        runner = self.runner
        if runner.val_loop is None:
            return
        metric_objs = runner.val_loop.evaluator.metrics
        prefixes = [m.prefix for m in metric_objs]
        try:
            for m in metric_objs:
                m.prefix = tagged(tag, m.prefix)
            with self._model.evaluate_as(what):
                metrics = runner.val_loop.run()
        finally:
            for m, prefix in zip(metric_objs, prefixes):
                m.prefix = prefix
        self.phase_metrics[tag] = {
            k: float(v) if isinstance(v, (int, float, np.floating)) else v
            for k, v in metrics.items()
        }
        runner.call_hook('after_incubation_val', tag=tag,
                         metrics=copy.deepcopy(self.phase_metrics[tag]),
                         phase_metrics=copy.deepcopy(self.phase_metrics))

    def _finish_stage(self, index: int) -> None:
        """Validate at the stage end and tell the hooks (idempotent)."""
        stage = self.stages[index]
        self._validate_stage(stage)
        model = self._model
        finished = model.modules_finished_by(stage.phase, stage.modules)
        assembled = False
        if finished:
            for m in finished:
                if m not in self.incubated_modules:
                    self.incubated_modules.append(m)
            assembled = schedule.completes_assembly(
                self.stages, index, self.incubated_modules, self.num_modules,
                lambda s: bool(model.modules_finished_by(s.phase, s.modules)))
            if assembled and 'assembled' not in [
                    tag for tag, _ in model.stage_validations(
                        stage.phase, stage.modules)]:
                self._validate('assembled', 'target')
        self.runner.call_hook(
            'after_incubation_stage', stage=stage, assembled=assembled,
            phase_metrics=copy.deepcopy(self.phase_metrics))
