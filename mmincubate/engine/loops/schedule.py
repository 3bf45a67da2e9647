"""The incubation schedule as data: phases parsed into stages on one axis.

Plain functions with no Runner: :class:`IncubationLoop` builds its stages
with them, and they are unit-tested on their own.

Example:
    >>> stages = parse_phases([dict(phase='meta', max_epochs=2),
    ...                        dict(phase='incubate', max_iters=5)],
    ...                       num_modules=4)
    >>> lay_out(stages, epoch_length=10)
    (25, 3)
    >>> stages[1].name, stages[1].begin_iter, stages[1].end_iter
    ('incubate[0, 1, 2, 3]', 20, 25)
"""
import copy
import math
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

from mmincubate.mmengine_compat import merge_config
from mmincubate.models.algorithms.module_split import (PHASES,
                                                      check_module_indices)

#: the keys a phase dict may have
PHASE_KEYS = frozenset({
    'phase', 'max_epochs', 'max_iters', 'val_interval', 'val_begin',
    'drop_path_rate', 'optim_wrapper', 'param_scheduler', 'modules', 'mode'
})


@dataclass
class Stage:
    """One contiguous piece of the schedule with one trainable set.

    ``incubate`` in sequential mode becomes one stage per module.
    """
    phase: str
    modules: Tuple[int, ...]
    by_epoch: bool
    length: int  # epochs when by_epoch, else iterations
    val_interval: int
    val_begin: int
    drop_path_rate: float
    optim_wrapper: dict
    param_scheduler: Optional[list]
    # set by lay_out() from the dataloader length
    begin_iter: int = 0
    end_iter: int = 0
    begin_epoch: int = 0
    num_epochs: int = 0

    @property
    def name(self) -> str:
        if self.modules:
            return f'{self.phase}{list(self.modules)}'
        return self.phase

    @property
    def iters(self) -> int:
        return self.end_iter - self.begin_iter



def uses_incubation_loop(cfg) -> bool:
    """Whether a config trains with an ``IncubationLoop`` (its phases).

    Example:
        >>> uses_incubation_loop(Config.fromfile(
        ...     'configs/incubate/vit_tiny_k4_digits.py'))
        True
    """
    train_cfg = cfg.get('train_cfg') or {}
    return str(train_cfg.get('type', '')).split('.')[-1] == 'IncubationLoop'


def merge_cfg(base: dict, override: Optional[dict]) -> dict:
    """``override`` onto ``base`` like config inheritance (``_delete_``)."""
    merged = copy.deepcopy(dict(base))
    if override:
        merged = merge_config(copy.deepcopy(dict(override)), merged)
    return merged


def _check_phase(index: int, cfg: dict, phase_names: Sequence[str],
                 module_phases: Sequence[str]) -> None:
    phase = cfg.get('phase')
    where = f'train_cfg.phases.{index}'
    if phase not in phase_names:
        raise ValueError(f'{where}: unknown phase {phase!r}; choose from '
                         f'{", ".join(phase_names)}.')
    where = f'{where} ({phase})'
    unknown = set(cfg) - PHASE_KEYS
    if unknown:
        raise ValueError(f'{where} has unknown keys {sorted(unknown)}; '
                         f'allowed: {sorted(PHASE_KEYS)}.')
    if ('max_epochs' in cfg) == ('max_iters' in cfg):
        raise ValueError(f'{where} needs exactly one of max_epochs and '
                         'max_iters.')
    if phase not in module_phases and ('modules' in cfg or 'mode' in cfg):
        takes = ' and '.join(module_phases) or 'no phase of this algorithm'
        raise ValueError(f'{where} takes no modules/mode; only {takes} '
                         'does.')
    if cfg.get('mode', 'parallel') not in ('parallel', 'sequential'):
        raise ValueError(f'{where} mode={cfg["mode"]!r}; choose "parallel" '
                         'or "sequential".')


def parse_phases(phases: Sequence[dict],
                 num_modules: int,
                 optim_wrapper: Optional[dict] = None,
                 param_scheduler=None,
                 phase_names: Sequence[str] = PHASES,
                 module_phases: Sequence[str] = ('incubate', )
                 ) -> List[Stage]:
    """``train_cfg.phases`` -> stages (not yet laid out).

    Args:
        phases: the ordered phase dicts (see :class:`IncubationLoop`).
        num_modules: K, to check and default ``modules``.
        optim_wrapper: the top-level optimizer wrapper config each phase's
            ``optim_wrapper`` is merged onto.
        param_scheduler: the top-level schedulers, used by phases without
            their own ``param_scheduler``.
        phase_names, module_phases: the algorithm's phases and those that
            take ``modules`` and ``mode`` (its ``PHASES`` and
            ``MODULE_PHASES``; by default Deep Incubation's).
    """
    if not phases:
        raise ValueError('IncubationLoop needs at least one phase.')
    stages = []
    for index, cfg in enumerate(phases):
        cfg = dict(cfg)
        _check_phase(index, cfg, phase_names, module_phases)
        phase = cfg['phase']
        by_epoch = 'max_epochs' in cfg
        length = int(cfg['max_epochs'] if by_epoch else cfg['max_iters'])
        if length < 1:
            raise ValueError(f'train_cfg.phases.{index} ({phase}) has '
                             f'length {length}; it must be at least 1.')
        modules: Tuple[int, ...] = ()
        if phase in module_phases:
            modules = check_module_indices(
                cfg.get('modules', range(num_modules)), num_modules,
                f'train_cfg.phases.{index} ({phase}) modules='
                f'{list(cfg.get("modules", range(num_modules)))}')
        scheduler = cfg.get('param_scheduler', param_scheduler)
        if isinstance(scheduler, dict):
            scheduler = [scheduler]
        common = dict(
            phase=phase,
            by_epoch=by_epoch,
            length=length,
            val_interval=int(cfg.get('val_interval', 1)),
            val_begin=int(cfg.get('val_begin', 1)),
            drop_path_rate=float(cfg.get('drop_path_rate', 0.0)),
            optim_wrapper=merge_cfg(optim_wrapper or {},
                                    cfg.get('optim_wrapper')),
            param_scheduler=copy.deepcopy(scheduler))
        if phase in module_phases and cfg.get('mode') == 'sequential':
            stages += [Stage(modules=(m, ), **common) for m in modules]
        else:
            stages.append(Stage(modules=modules, **common))
    return stages


def lay_out(stages: Sequence[Stage], epoch_length: int) -> Tuple[int, int]:
    """Place the stages one after another; every stage starts on a fresh
    pass over the data. Returns (total iterations, total epochs)."""
    if epoch_length < 1:
        raise ValueError('The training dataloader is empty.')
    begin_iter = begin_epoch = 0
    for stage in stages:
        iters = stage.length * epoch_length if stage.by_epoch else \
            stage.length
        stage.begin_iter, stage.end_iter = begin_iter, begin_iter + iters
        stage.begin_epoch = begin_epoch
        stage.num_epochs = math.ceil(iters / epoch_length)
        begin_iter += iters
        begin_epoch += stage.num_epochs
    return begin_iter, begin_epoch


def stage_index_at(stages: Sequence[Stage], iteration: int) -> int:
    """Index of the stage that trains iteration ``iteration`` (the last
    stage once the schedule is done)."""
    for index, stage in enumerate(stages):
        if iteration < stage.end_iter:
            return index
    return len(stages) - 1


def epoch_at(stages: Sequence[Stage], iteration: int,
             epoch_length: int) -> int:
    """The global epoch counter before iteration ``iteration`` runs."""
    stage = stages[stage_index_at(stages, iteration)]
    if iteration >= stage.end_iter:
        return stage.begin_epoch + stage.num_epochs
    return stage.begin_epoch + (iteration - stage.begin_iter) // epoch_length


def plan(stages: Sequence[Stage]) -> list:
    """The schedule as the config gives it (phase, modules, length, unit),
    known before the dataset is built: checked before a resume."""
    return [[s.phase, list(s.modules), s.length,
             'epochs' if s.by_epoch else 'iters'] for s in stages]


def signature(stages: Sequence[Stage]) -> list:
    """What a checkpoint records to refuse a resume under another plan."""
    return [[s.phase, list(s.modules), s.begin_iter, s.end_iter]
            for s in stages]


def scheduler_cfgs(stage: Stage) -> list:
    """The stage's schedulers; a missing ``end`` is the stage's end, in the
    scheduler's own unit (epochs if ``by_epoch``, else iterations)."""
    cfgs = copy.deepcopy(list(stage.param_scheduler or []))
    for cfg in cfgs:
        if isinstance(cfg, dict) and cfg.get('end') is None:
            by_epoch = cfg.get('by_epoch', True)
            if by_epoch and not stage.by_epoch:
                raise ValueError(
                    f'Stage {stage.name} is iteration-based; give its '
                    f'epoch-based scheduler {cfg.get("type")} an explicit '
                    'end or by_epoch=False.')
            cfg['end'] = stage.length if by_epoch else stage.iters
    return cfgs


def validation_due(stage: Stage, epoch: int, iteration: int) -> bool:
    """Whether ``val_interval`` asks for a validation now (the stage's end
    is validated anyway and is not due here)."""
    done = epoch - stage.begin_epoch if stage.by_epoch else \
        iteration - stage.begin_iter
    return (iteration < stage.end_iter and done >= stage.val_begin
            and done % stage.val_interval == 0)


def completes_assembly(stages: Sequence[Stage], index: int,
                       finished: Sequence[int], num_modules: int,
                       finishes_modules: Callable[[Stage], bool]) -> bool:
    """Whether every module is ``finished`` once stage ``index`` ends and
    no later stage trains one again (``finishes_modules(stage)``): the
    target is then the assembled model."""
    return (sorted(set(finished)) == list(range(num_modules))
            and not any(finishes_modules(s) for s in stages[index + 1:]))
