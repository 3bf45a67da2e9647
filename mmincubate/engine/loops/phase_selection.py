"""Choosing and checking the phases of an incubation schedule from a config.

Plain functions on config dicts, used by ``tools/train.py`` (``--phases``,
``--modules``, ``--dry-run``) before anything is built, and by
:class:`IncubationLoop` itself, so both give the same errors.
"""
import copy
from typing import List, Optional, Sequence

from mmincubate.models.algorithms.module_split import (DEFAULT_NUM_MODULES,
                                                      PHASES,
                                                      check_module_indices)


def num_modules_of(model_cfg: dict) -> int:
    """K of a ``DeepIncubation`` model config (``module_depths`` or
    ``num_modules``, else the model's default)."""
    if model_cfg.get('module_depths') is not None:
        return len(model_cfg['module_depths'])
    return int(model_cfg.get('num_modules') or DEFAULT_NUM_MODULES)


def parse_name_list(text: str, what: str) -> List[str]:
    """``'meta,incubate'`` -> ``['meta', 'incubate']``; empty items are an
    error."""
    items = [item.strip() for item in str(text).split(',')]
    if not items or any(not item for item in items):
        raise ValueError(f'{what}={text!r}: give a comma-separated list '
                         'without empty items, e.g. "meta,incubate".')
    return items


def parse_module_list(text: str, num_modules: int) -> List[int]:
    """``'0,2'`` -> ``[0, 2]``, each checked against K."""
    modules = []
    for item in parse_name_list(text, '--modules'):
        try:
            modules.append(int(item))
        except ValueError:
            raise ValueError(
                f'--modules {text!r}: {item!r} is not a module index; give '
                f'indices 0..{num_modules - 1}, e.g. --modules 0,2.') from None
    return list(check_module_indices(modules, num_modules,
                                     f'--modules {text!r}'))


def select_phases(phases: Sequence[dict],
                  names: Optional[Sequence[str]] = None,
                  modules: Optional[Sequence[int]] = None) -> List[dict]:
    """The phases of a schedule named in ``names`` (in the schedule's order,
    with their configured settings), every ``incubate`` phase restricted to
    ``modules``.

    Args:
        phases: ``train_cfg.phases`` of an ``IncubationLoop`` config.
        names: phase names to keep; None keeps all.
        modules: module indices for the kept ``incubate`` phases; None keeps
            the configured ones.
    """
    phases = [copy.deepcopy(dict(p)) for p in phases]
    present = [p.get('phase') for p in phases]
    if names is not None:
        for name in names:
            if name not in PHASES:
                raise ValueError(
                    f'--phases: unknown phase {name!r}; choose from '
                    f'{", ".join(PHASES)}.')
            if name not in present:
                raise ValueError(
                    f'--phases: the config\'s schedule has no {name!r} phase '
                    f'(it has {", ".join(map(str, present))}); add one to '
                    'train_cfg.phases.')
        if len(set(names)) != len(names):
            raise ValueError(f'--phases {",".join(names)} names a phase '
                             'twice.')
        phases = [p for p in phases if p.get('phase') in names]
    if modules is not None:
        incubations = [p for p in phases if p.get('phase') == 'incubate']
        if not incubations:
            raise ValueError(
                '--modules needs an incubate phase in the selected schedule '
                f'(it has {", ".join(p.get("phase") for p in phases)}); add '
                'incubate to --phases.')
        for phase in incubations:
            phase['modules'] = list(modules)
    return phases


def check_phase_sources(phases: Sequence[dict], num_modules: int,
                        meta_checkpoint: Optional[str],
                        target_checkpoint: Optional[str],
                        from_checkpoint: bool,
                        meta_init: Optional[str] = None) -> None:
    """Raise when a phase needs weights that nothing provides.

    - ``incubate`` without an earlier ``meta`` phase needs
      ``model.meta_checkpoint``, or the ablation's explicit opt-in
      ``model.meta_init='random'`` (which a ``meta`` phase contradicts);
    - ``finetune`` needs an assembled target: every module incubated by
      earlier phases, or ``model.target_checkpoint``.

    A resumed run or one with ``load_from`` (``from_checkpoint``) brings its
    weights with it.
    """
    if meta_init == 'random' and any(p.get('phase') == 'meta'
                                     for p in phases):
        raise ValueError(
            "model.meta_init='random' incubates inside an untrained meta "
            'model, but the schedule trains one in a "meta" phase: remove '
            'the phase or meta_init.')
    if from_checkpoint:
        return
    seen_meta = meta_init == 'random'
    incubated = set()
    for phase in phases:
        name = phase.get('phase')
        if name == 'meta':
            seen_meta = True
        elif name == 'incubate':
            if not seen_meta and meta_checkpoint is None:
                raise ValueError(
                    'The schedule incubates without training a meta model '
                    'first: set model.meta_checkpoint to a trained meta '
                    'model (e.g. --cfg-options model.meta_checkpoint='
                    'work_dirs/<run>/meta.pth) or add a "meta" phase before '
                    '"incubate" (or, for the ablation inside an untrained '
                    "meta model, set model.meta_init='random').")
            incubated |= set(phase.get('modules', range(num_modules)))
        elif name == 'finetune' and target_checkpoint is None and \
                incubated != set(range(num_modules)):
            detail = (f'only modules {sorted(incubated)} are incubated '
                      'before it' if incubated else 'nothing is incubated '
                      'before it')
            raise ValueError(
                f'The schedule fine-tunes, but {detail}: set '
                'model.target_checkpoint to an assembled model (e.g. '
                '--cfg-options model.target_checkpoint='
                'work_dirs/<run>/assembled.pth from tools/assemble.py) or '
                'incubate every module first.')
