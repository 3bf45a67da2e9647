"""What :class:`IncubationLoop` needs from an algorithm: its phases.

An algorithm (``DeepIncubation``, ``LocalLearning``) declares the phases it
trains, which of them take ``modules``, what each one validates and
exports, and which weights a phase needs. The loop and its hooks ask; they
know no phase name.
"""
from typing import Dict, List, Optional, Sequence, Tuple

from torch import nn

from .module_split import EvalTarget

#: a stable seed key per phase name, whatever algorithm trains it, so the
#: same phase of two algorithms (``finetune``) starts from the same random
#: state for the same seed
PHASE_SEED_KEYS = {'meta': 0, 'incubate': 1, 'finetune': 2, 'local': 3}
#: one validation: the metrics' tag and what runs (see ``evaluate_as``)
Validation = Tuple[str, EvalTarget]


class PhasedAlgorithm:
    """The phase contract of a module-wise training algorithm.

    Subclasses (also mmengine ``BaseModel`` s) set :attr:`PHASES` and
    :attr:`MODULE_PHASES` and implement :meth:`set_phase`,
    :meth:`evaluate_as`, :meth:`stage_validations`,
    :meth:`modules_finished_by`, :meth:`phase_exports` and
    :meth:`check_schedule`.

    Example:
        >>> cls = MODELS.get(cfg.model.type)
        >>> cls.PHASES, cls.MODULE_PHASES
        (('meta', 'incubate', 'finetune'), ('incubate',))
    """

    #: the phases, in the order a whole schedule runs them
    PHASES: Tuple[str, ...] = ()
    #: the phases that take ``modules`` (and ``mode``) in a schedule
    MODULE_PHASES: Tuple[str, ...] = ()
    num_modules: int

    @classmethod
    def phase_seed_key(cls, phase: str) -> int:
        """The seed key the loop derives a stage's random state from."""
        return PHASE_SEED_KEYS[phase]

    def set_phase(self, phase: str, modules: Sequence[int] = (),
                  drop_path_rate: float = 0.0) -> None:
        raise NotImplementedError

    def stage_validations(self, phase: str,
                          modules: Sequence[int]) -> List[Validation]:
        """What a stage of ``phase`` validates at its ``val_interval`` and
        at its end."""
        raise NotImplementedError

    def validations_before(self, phase: str) -> List[Validation]:
        """What is validated before a stage of ``phase`` starts, unless
        its tag has metrics already (default: the assembled target before
        fine-tuning)."""
        return [('assembled', 'target')] if phase == 'finetune' else []

    def modules_finished_by(self, phase: str,
                            modules: Sequence[int]) -> Tuple[int, ...]:
        """The target modules whose training a stage of ``phase`` ends;
        once every module is and no later stage trains one, the target is
        the assembled model."""
        raise NotImplementedError

    def independent_groups(self) -> Dict[int, List[nn.Parameter]]:
        """The trainable parameters of the current phase in groups that
        share no gradient (clipped one by one); one group when the phase
        trains end to end."""
        return {}

    def phase_exports(self, phase: str, modules: Sequence[int],
                      assembled: bool, **meta) -> Dict[str, dict]:
        """The files (name -> weights-only checkpoint) a stage of
        ``phase`` exports at its end; ``meta`` (iter, epoch) goes into
        classifier checkpoints."""
        raise NotImplementedError

    @classmethod
    def check_schedule(cls, phases: Sequence[dict], num_modules: int,
                       model_cfg: dict, from_checkpoint: bool) -> None:
        """Raise ``ValueError`` when a phase of ``phases`` (phase dicts)
        needs weights nothing provides; ``from_checkpoint``: the run
        resumes or loads a checkpoint."""
        raise NotImplementedError


def algorithm_class(model_cfg: dict) -> Optional[type]:
    """The :class:`PhasedAlgorithm` class a model config builds, or None
    (another model, or a type not registered in mmincubate).

    Example:
        >>> algorithm_class(dict(type='DeepIncubation')).PHASES
        ('meta', 'incubate', 'finetune')
    """
    from mmincubate.registry import MODELS
    model_cls = MODELS.get(str(model_cfg.get('type', '')))
    if isinstance(model_cls, type) and issubclass(model_cls, PhasedAlgorithm):
        return model_cls
    return None
