"""What a benchmark runs: its arms, seeds, the equal-cost budget, configs.

A benchmark config (``configs/benchmarks/*.py``) holds one ``benchmark``
dict::

    benchmark = dict(
        arms=dict(
            incubation=dict(config='configs/incubate/vit_tiny_k4_digits.py'),
            e2e=dict(config='configs/e2e/vit_tiny_e2e_digits.py'),
            dgl=dict(config='configs/local/vit_tiny_k4_digits_dgl.py',
                     cfg_options=dict())),
        budget_arm='incubation',   # its whole schedule sets the budget
        baseline='e2e',            # the arm the others are paired with
        match='flops',             # or 'time'
        seeds=[0, 1],
        metric='accuracy/top1',
        cfg_options=dict(),        # applied to every arm (dotted keys)
        overrides=dict(),          # applied to every arm after its own
                                   # cfg_options (run_benchmark.py's
                                   # --cfg-options land here)
        downstream=[dict(name='ade20k', config='...', metric='mIoU',
                         cfg_options=dict())],
    )

Each arm may carry its own ``cfg_options``. Every arm but ``budget_arm``
is matched to its measured total training FLOPs (``match='flops'``) or
wall time (``'time'``): see :mod:`.arm_length`. The two-arm form of earlier
versions, ``incubation=dict(...), e2e=dict(...)``, is read as
``arms=dict(incubation=..., e2e=...)``, ``budget_arm='incubation'``.
"""
import copy
import json
import os.path as osp
import re
from typing import List, Optional

from mmengine.config import Config

MATCHES = ('flops', 'time')
_KEYS = {'arms', 'budget_arm', 'baseline', 'match', 'seeds', 'metric',
         'cfg_options', 'overrides', 'downstream'}
_TWO_ARMS = ('incubation', 'e2e')
_ARM_KEYS = {'config', 'cfg_options'}
_DOWNSTREAM_KEYS = {'name', 'config', 'metric', 'cfg_options',
                    'checkpoint_key'}


def normalized(spec: dict, where: str = 'benchmark') -> dict:
    """The benchmark dict in its N-arm form, defaults filled, checked."""
    spec = copy.deepcopy(dict(spec))
    if 'arms' not in spec and any(a in spec for a in _TWO_ARMS):
        spec['arms'] = {a: spec.pop(a) for a in _TWO_ARMS if a in spec}
        spec.setdefault('budget_arm', 'incubation')
    unknown = set(spec) - _KEYS
    if unknown:
        raise ValueError(f'{where}: unknown benchmark keys {sorted(unknown)}; '
                         f'allowed: {sorted(_KEYS)} (or the two-arm form '
                         'incubation=dict(...), e2e=dict(...)).')
    arms = spec.get('arms')
    if not isinstance(arms, dict) or len(arms) < 2:
        raise ValueError(f'{where}: benchmark.arms must name at least two '
                         'arms, e.g. arms=dict(incubation=dict(config=...), '
                         f'e2e=dict(config=...)); got {arms!r}.')
    for name, arm in arms.items():
        if not re.fullmatch(r'[A-Za-z0-9_\-]+', str(name)):
            raise ValueError(f'{where}: arm name {name!r} must be letters, '
                             'digits, _ or - (it names a folder).')
        if not isinstance(arm, dict) or 'config' not in arm or \
                set(arm) - _ARM_KEYS:
            raise ValueError(f'{where}: benchmark.arms.{name} must be '
                             f'dict(config=..., cfg_options=dict(...)), got '
                             f'{arm!r}.')
        arm.setdefault('cfg_options', {})
    spec.setdefault('budget_arm', next(iter(arms)))
    spec.setdefault('baseline', 'e2e' if 'e2e' in arms else None)
    for key in ('budget_arm', 'baseline'):
        if spec[key] is not None and spec[key] not in arms:
            raise ValueError(f'{where}: {key}={spec[key]!r} is not an arm; '
                             f'the arms are {list(arms)}.')
    spec.setdefault('match', 'flops')
    if spec['match'] not in MATCHES:
        raise ValueError(f'{where}: match={spec["match"]!r}; choose from '
                         f'{MATCHES}.')
    spec.setdefault('seeds', [0])
    if not spec['seeds'] or not all(
            isinstance(s, int) for s in spec['seeds']):
        raise ValueError(f'{where}: seeds must be a non-empty list of ints.')
    spec.setdefault('metric', 'accuracy/top1')
    spec.setdefault('cfg_options', {})
    spec.setdefault('overrides', {})
    spec.setdefault('downstream', [])
    names = set()
    for task in spec['downstream']:
        unknown = set(task) - _DOWNSTREAM_KEYS
        missing = {'name', 'config', 'metric'} - set(task)
        if unknown or missing:
            raise ValueError(
                f'{where}: downstream entry {task!r} needs name, config, '
                f'metric (optional cfg_options, checkpoint_key); '
                f'missing {sorted(missing)}, unknown {sorted(unknown)}.')
        if task['name'] in names or task['name'] in arms:
            raise ValueError(f'{where}: downstream name {task["name"]!r} '
                             'is used twice (or is an arm\'s name).')
        names.add(task['name'])
        task.setdefault('cfg_options', {})
        task.setdefault('checkpoint_key', 'model.backbone.init_cfg.checkpoint')
    return spec


def load_benchmark(path: str) -> dict:
    """The checked, normalized ``benchmark`` dict of a benchmark config."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Benchmark config {path} does not exist.')
    cfg = Config.fromfile(path)
    if 'benchmark' not in cfg:
        raise ValueError(f'{path} has no `benchmark = dict(...)`; see '
                         'configs/benchmarks/ for examples.')
    return normalized(cfg.benchmark.to_dict(), path)


def arm_config(spec: dict, arm: str, seed: int,
               path: Optional[str] = None) -> Config:
    """The arm's config with the benchmark's ``cfg_options``, the arm's,
    then ``overrides`` (the command line's), and the seed;
    ``path``: where its config file is (see ``arm_configs.resolve``),
    default ``spec['arms'][arm]['config']`` as written."""
    cfg = Config.fromfile(path or spec['arms'][arm]['config'])
    cfg.merge_from_dict(copy.deepcopy(spec['cfg_options']))
    cfg.merge_from_dict(copy.deepcopy(spec['arms'][arm]['cfg_options']))
    cfg.merge_from_dict(copy.deepcopy(spec['overrides']))
    cfg.merge_from_dict({'randomness.seed': seed})
    return cfg


def run_dir(work_dir: str, arm: str, seed: int) -> str:
    return osp.join(work_dir, f'{arm}_seed{seed}')


# ----------------------------------------------------------------------
# one work_dir, one benchmark; more seeds may join it
# ----------------------------------------------------------------------
def merged_plan(old: Optional[dict], spec: dict, world_size: int,
                work_dir: str) -> dict:
    """The plan of ``work_dir`` (``plan.json``, None: a new benchmark)
    with this call's ``spec``: its seeds are the union of the planned and
    the requested ones (planned first). Raises ValueError, listing every
    change, if anything but the seeds differs from the plan."""
    new = json.loads(json.dumps(dict(benchmark=spec, world_size=world_size)))
    if old is None:
        return new
    old = dict(old, benchmark=normalized(old.get('benchmark') or {},
                                         'plan.json'))
    changes = []
    for key in ('benchmark', 'world_size'):
        changes += _differences(_without_seeds(old.get(key)),
                                _without_seeds(new[key]), key)
    if changes:
        raise ValueError(
            f'{work_dir} holds another benchmark: ' + '; '.join(changes) +
            '. Only the seeds may change in a work_dir (new seeds join its '
            'plan.json and its results); a new --work-dir starts a new '
            'benchmark. Nothing was written.')
    merged = copy.deepcopy(old)
    planned = list(old['benchmark'].get('seeds', []))
    merged['benchmark'] = new['benchmark']
    merged['benchmark']['seeds'] = planned + [
        s for s in spec['seeds'] if s not in planned]
    return merged


def _without_seeds(value):
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != 'seeds'}
    return value


def _differences(old, new, where: str) -> List[str]:
    """``where: old value in plan.json, now new value`` for every leaf
    that differs (dicts key by key, lists of equal length item by item)."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in list(old) + [k for k in new if k not in old]:
            step = f'.{key}' if re.fullmatch(r'[A-Za-z_]\w*', str(key)) \
                else f'[{key!r}]'
            found += _differences(old.get(key, _UNSET), new.get(key, _UNSET),
                                  where + step)
        return found
    if isinstance(old, list) and isinstance(new, list) and \
            len(old) == len(new):
        return [d for i, (o, n) in enumerate(zip(old, new))
                for d in _differences(o, n, f'{where}[{i}]')]
    if old == new:
        return []
    return [f'{where} was {_show(old)} in plan.json, now {_show(new)}']


_UNSET = object()


def _show(value) -> str:
    return 'not set' if value is _UNSET else repr(value)
