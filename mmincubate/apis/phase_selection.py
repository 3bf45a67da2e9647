"""Choosing the phases of a schedule from a config.

Plain functions on config dicts, used by ``tools/train.py`` (``--phases``,
``--modules``, ``--dry-run``) before anything is built. The algorithm's
own ``check_schedule`` checks that every chosen phase has its weights.
"""
import copy
from typing import List, Optional, Sequence

from mmincubate.models.algorithms.module_split import (PHASES,
                                                      check_module_indices)


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
                  modules: Optional[Sequence[int]] = None,
                  phase_names: Sequence[str] = PHASES,
                  module_phases: Sequence[str] = ('incubate', )
                  ) -> List[dict]:
    """The phases of a schedule named in ``names`` (in the schedule's order,
    with their configured settings), every phase that takes modules
    (``incubate``) restricted to ``modules``.

    Args:
        phases: ``train_cfg.phases`` of an ``IncubationLoop`` config.
        names: phase names to keep; None keeps all.
        modules: module indices for the kept ``incubate`` phases; None keeps
            the configured ones.
        phase_names, module_phases: the algorithm's phases and those that
            take modules (its ``PHASES`` and ``MODULE_PHASES``).
    """
    phases = [copy.deepcopy(dict(p)) for p in phases]
    present = [p.get('phase') for p in phases]
    if names is not None:
        for name in names:
            if name not in phase_names:
                raise ValueError(
                    f'--phases: unknown phase {name!r}; choose from '
                    f'{", ".join(phase_names)}.')
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
        incubations = [p for p in phases if p.get('phase') in module_phases]
        if not incubations:
            wanted = ' or '.join(module_phases) or 'no phase: this ' \
                'algorithm trains all modules together'
            raise ValueError(
                f'--modules needs a phase that takes modules ({wanted}) in '
                'the selected schedule (it has '
                f'{", ".join(p.get("phase") for p in phases)}).')
        for phase in incubations:
            phase['modules'] = list(modules)
    return phases
