"""The schedule a training command runs: ``--phases``/``--modules`` applied
to a config's ``IncubationLoop`` phases, checked before anything is built.
"""
from typing import List, Optional

from mmengine.config import Config

from mmincubate.engine.loops import schedule
from mmincubate.models.algorithms.phased_algorithm import algorithm_class
from .phase_selection import parse_module_list, parse_name_list, select_phases
from .train_checks import check_model_split, is_incubation, resume_source


def apply_schedule_args(cfg: Config, phases: Optional[str] = None,
                        modules: Optional[str] = None,
                        config_name: str = 'the config') -> list:
    """Check the model's split and the config's phases, keep the phases
    named in ``phases`` (``'meta,incubate'``) with every phase that takes
    modules restricted to ``modules`` (``'0,2'``), write them into
    ``cfg.train_cfg.phases``, and check that every phase has the weights it
    needs. Returns the stages that will run (empty for other loops).
    Raises ``ValueError``.

    Example:
        >>> cfg = Config.fromfile('configs/incubate/vit_tiny_k4_digits.py')
        >>> [s.name for s in apply_schedule_args(cfg, 'meta,incubate', '1')]
        ['meta', 'incubate[1]']
    """
    if not is_incubation(cfg):
        if phases is not None or modules is not None:
            raise ValueError(
                f'--phases/--modules need an incubation config '
                f'(train_cfg.type=IncubationLoop); {config_name} has '
                f'train_cfg.type={cfg.train_cfg.get("type")!r}.')
        return []
    scope = cfg.get('default_scope') or 'mmincubate'
    algorithm = algorithm_class(cfg.model)
    if algorithm is None:
        raise ValueError(
            f'train_cfg.type=IncubationLoop trains a module-wise algorithm '
            f'(DeepIncubation, LocalLearning); model.type='
            f'{cfg.model.get("type")!r} is none. Use an E2E loop for it.')
    num_modules = check_model_split(cfg.model, scope)
    names = dict(phase_names=algorithm.PHASES,
                 module_phases=algorithm.MODULE_PHASES)
    configured = cfg.train_cfg.get('phases') or []
    schedule.parse_phases(configured, num_modules, **names)  # config indices
    chosen: List[dict] = select_phases(
        configured,
        None if phases is None else parse_name_list(phases, '--phases'),
        None if modules is None else parse_module_list(modules, num_modules),
        **names)
    algorithm.check_schedule(
        chosen, num_modules, dict(cfg.model),
        resume_source(cfg) is not None
        or (not cfg.get('resume') and cfg.get('load_from') is not None))
    cfg.train_cfg.phases = chosen
    stages = schedule.parse_phases(chosen, num_modules,
                                   dict(cfg.get('optim_wrapper') or {}),
                                   cfg.get('param_scheduler'), **names)
    for stage in stages:
        schedule.scheduler_cfgs(stage)  # a scheduler that cannot fit
    return stages
