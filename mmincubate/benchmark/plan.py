"""What a benchmark runs: its arms, seeds, the equal-cost budget, configs.

A benchmark config (``configs/benchmarks/*.py``) holds one ``benchmark``
dict::

    benchmark = dict(
        incubation=dict(config='configs/incubate/vit_tiny_k4_digits.py'),
        e2e=dict(config='configs/e2e/vit_tiny_e2e_digits.py'),
        match='flops',             # or 'time'
        seeds=[0, 1],
        metric='accuracy/top1',
        cfg_options=dict(),        # applied to both arms (dotted keys)
        downstream=[dict(name='ade20k', config='...', metric='mIoU',
                         cfg_options=dict())],
    )

Each arm may carry its own ``cfg_options``. The E2E arm's length is set so
that its total training FLOPs (``match='flops'``, measured) or wall time
(``'time'``, estimated from timed steps) equal the incubation arm's whole
schedule: meta + incubation + fine-tuning.
"""
import copy
import json
import math
import os.path as osp
import re
import time
from typing import Dict, List, Optional

from mmengine.config import Config

from mmincubate.utils.flops import StepFlopCounter, batch_size_of

ARMS = ('incubation', 'e2e')
MATCHES = ('flops', 'time')
_KEYS = {'incubation', 'e2e', 'match', 'seeds', 'metric', 'cfg_options',
         'downstream'}
_DOWNSTREAM_KEYS = {'name', 'config', 'metric', 'cfg_options', 'checkpoint_key'}


def load_benchmark(path: str) -> dict:
    """The checked ``benchmark`` dict of a benchmark config file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Benchmark config {path} does not exist.')
    cfg = Config.fromfile(path)
    if 'benchmark' not in cfg:
        raise ValueError(f'{path} has no `benchmark = dict(...)`; see '
                         'configs/benchmarks/ for examples.')
    spec = copy.deepcopy(cfg.benchmark.to_dict())
    unknown = set(spec) - _KEYS
    if unknown:
        raise ValueError(f'{path}: unknown benchmark keys {sorted(unknown)}; '
                         f'allowed: {sorted(_KEYS)}.')
    for arm in ARMS:
        if not isinstance(spec.get(arm), dict) or 'config' not in spec[arm]:
            raise ValueError(f'{path}: benchmark.{arm} must be '
                             f'dict(config=...), got {spec.get(arm)!r}.')
        spec[arm].setdefault('cfg_options', {})
    spec.setdefault('match', 'flops')
    if spec['match'] not in MATCHES:
        raise ValueError(f'{path}: match={spec["match"]!r}; choose from '
                         f'{MATCHES}.')
    spec.setdefault('seeds', [0])
    if not spec['seeds'] or not all(
            isinstance(s, int) for s in spec['seeds']):
        raise ValueError(f'{path}: seeds must be a non-empty list of ints.')
    spec.setdefault('metric', 'accuracy/top1')
    spec.setdefault('cfg_options', {})
    spec.setdefault('downstream', [])
    names = set()
    for task in spec['downstream']:
        unknown = set(task) - _DOWNSTREAM_KEYS
        missing = {'name', 'config', 'metric'} - set(task)
        if unknown or missing:
            raise ValueError(
                f'{path}: downstream entry {task!r} needs name, config, '
                f'metric (optional cfg_options, checkpoint_key); '
                f'missing {sorted(missing)}, unknown {sorted(unknown)}.')
        if task['name'] in names:
            raise ValueError(f'{path}: downstream name {task["name"]!r} '
                             'is used twice.')
        names.add(task['name'])
        task.setdefault('cfg_options', {})
        task.setdefault('checkpoint_key', 'model.backbone.init_cfg.checkpoint')
    return spec


def arm_config(spec: dict, arm: str, seed: int,
               path: Optional[str] = None) -> Config:
    """The arm's config with the benchmark's overrides and the seed;
    ``path``: where its config file is (see ``arm_configs.resolve``),
    default ``spec[arm]['config']`` as written."""
    cfg = Config.fromfile(path or spec[arm]['config'])
    cfg.merge_from_dict(copy.deepcopy(spec['cfg_options']))
    cfg.merge_from_dict(copy.deepcopy(spec[arm]['cfg_options']))
    cfg.merge_from_dict({'randomness.seed': seed})
    return cfg


# ----------------------------------------------------------------------
# the E2E arm's length
# ----------------------------------------------------------------------
def probe_train_step(cfg: Config, timed_steps: int = 0) -> dict:
    """Measured cost of ``cfg``'s training step, without a Runner.

    Builds the model, its optimizer wrapper and the training dataloader
    (no workers), counts the FLOPs of one real ``train_step`` (the same
    counter as :class:`CostAccountingHook`) and, with ``timed_steps``, times
    that many further steps including data loading. Returns
    ``flops_per_image``, ``seconds_per_image`` (or None) and
    ``images_per_epoch`` (one process).
    """
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS, init_default_scope
    from mmengine.runner import Runner

    init_default_scope(cfg.get('default_scope', 'mmincubate'))
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.train()
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(
        cfg.optim_wrapper))
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = iter(loader)
    batch = next(batches)
    counter = StepFlopCounter()
    counter.start()
    try:
        model.train_step(batch, optim_wrapper=optim_wrapper)
    finally:
        flops_per_image = counter.stop() / batch_size_of(batch)
    seconds_per_image = None
    if timed_steps:
        images, start = 0, time.perf_counter()
        for _ in range(timed_steps):
            try:
                batch = next(batches)
            except StopIteration:
                batches = iter(loader)
                batch = next(batches)
            model.train_step(batch, optim_wrapper=optim_wrapper)
            images += batch_size_of(batch)
        seconds_per_image = (time.perf_counter() - start) / images
    return dict(flops_per_image=flops_per_image,
                seconds_per_image=seconds_per_image,
                images_per_epoch=len(loader.dataset))


def e2e_length(cfg: Config, budget: float, per_image: float,
               images_per_epoch: int, world_size: int = 1) -> Dict[str, int]:
    """The E2E training length that spends ``budget`` (FLOPs or seconds)
    at ``per_image`` each: ``{'max_epochs': n}`` or ``{'max_iters': n}``.

    Epochs count the padded shards of a distributed sampler.
    """
    if per_image <= 0:
        raise ValueError(f'Measured cost per image is {per_image}.')
    train_cfg = cfg.train_cfg
    if 'max_epochs' in train_cfg:
        shard = math.ceil(images_per_epoch / world_size) * world_size
        return dict(max_epochs=max(1, round(budget / (per_image * shard))))
    if 'max_iters' in train_cfg:
        per_iter = cfg.train_dataloader.batch_size * world_size
        return dict(max_iters=max(1, round(budget / (per_image * per_iter))))
    raise ValueError('The E2E config\'s train_cfg has neither max_epochs nor '
                     'max_iters; the benchmark cannot set its length.')


def with_length(cfg: Config, length: Dict[str, int]) -> List[str]:
    """Set the E2E config's length; schedulers that ended at the old length
    end at the new one. Returns what changed, for the log."""
    (key, new), = length.items()
    old = cfg.train_cfg[key]
    cfg.train_cfg[key] = new
    changes = [f'train_cfg.{key}: {old} -> {new}']
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    for index, sched in enumerate(schedulers):
        if sched.get('end') == old:
            sched['end'] = new
            changes.append(f'param_scheduler[{index}].end: {old} -> {new}')
        if sched.get('begin', 0) >= new:
            raise ValueError(
                f'The E2E arm gets {new} {key[4:]} but param_scheduler'
                f'[{index}] ({sched.get("type")}) begins at '
                f'{sched["begin"]}; raise the budget or shorten the warmup.')
    if schedulers:
        cfg.param_scheduler = schedulers
    return changes


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
