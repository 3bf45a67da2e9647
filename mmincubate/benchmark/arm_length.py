"""An arm's training length for a budget: measured step costs, scaled.

Every arm but the budget arm is matched to the budget (the budget arm's
whole measured cost, FLOPs or seconds):

- a plain config (``EpochBasedTrainLoop``/``IterBasedTrainLoop``) gets the
  ``max_epochs``/``max_iters`` that spend it;
- an ``IncubationLoop`` config keeps the ratio of its phases' lengths: each
  phase's length is multiplied by one factor, rounded, and the last phase
  takes up the rounding.

The cost per image of every stage is measured without a Runner on one real
batch (the counter :class:`CostAccountingHook` uses), with timed steps for
``match='time'``.

Example:
    >>> cfg = Config.fromfile('configs/local/vit_tiny_k4_digits_dgl.py')
    >>> probe = probe_arm(cfg, timed_steps=0)
    >>> lengths = fit_to_budget(cfg, 1.5e12, probe, 'flops')
    >>> for change in apply_lengths(cfg, lengths):
    ...     print(change)
    train_cfg.phases.0.max_epochs: 40 -> 18
    train_cfg.phases.1.max_epochs: 40 -> 18
"""
import copy
import math
from typing import Dict, List, Tuple

from mmengine.config import Config

from mmincubate.engine.loops.schedule import uses_incubation_loop
from mmincubate.utils.flops import batch_size_of
from mmincubate.utils.step_measure import counted_step, timed_step


def _stage_groups(cfg: Config, model) -> List[list]:
    """The stages of each phase dict of an IncubationLoop config."""
    from mmincubate.engine.loops import schedule
    optim = dict(cfg.get('optim_wrapper') or {})
    return [schedule.parse_phases([phase], model.num_modules, optim,
                                  cfg.get('param_scheduler'), model.PHASES,
                                  model.MODULE_PHASES)
            for phase in cfg.train_cfg.phases]


def _measure(model, optim_cfg: dict, batches, timed_steps: int) -> tuple:
    """(FLOPs per image of one counted step, seconds per image of
    ``timed_steps`` more, each fetching its batch, or None)."""
    from mmengine.optim import build_optim_wrapper
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(optim_cfg))
    images = []

    def step() -> None:
        batch = next(batches)
        model.train_step(batch, optim_wrapper=optim_wrapper)
        images.append(batch_size_of(batch))

    flops = counted_step(step)[0] / images[0]
    if not timed_steps:
        return flops, None
    device = next(model.parameters()).device
    seconds = sum(timed_step(step, device) for _ in range(timed_steps))
    return flops, seconds / sum(images[1:])


def probe_arm(cfg: Config, timed_steps: int = 0) -> dict:
    """Measured cost per image of ``cfg``'s training step, or of every
    stage of an IncubationLoop config (``stages``: per phase dict, a list
    of ``{name, flops_per_image, seconds_per_image}``), and
    ``images_per_epoch`` (one process)."""
    from mmengine.registry import MODELS, init_default_scope
    from mmengine.runner import Runner

    init_default_scope(cfg.get('default_scope', 'mmincubate'))
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.train()
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg, seed=0)

    def endless():
        while True:
            yield from loader

    batches = endless()
    probe = dict(images_per_epoch=len(loader.dataset))
    if not uses_incubation_loop(cfg):
        flops, seconds = _measure(model, cfg.optim_wrapper, batches,
                                  timed_steps)
        probe.update(flops_per_image=flops, seconds_per_image=seconds)
        return probe
    probe['stages'] = []
    for group in _stage_groups(cfg, model):
        measured = []
        for stage in group:
            model.set_phase(stage.phase, stage.modules, stage.drop_path_rate)
            flops, seconds = _measure(model, stage.optim_wrapper, batches,
                                      timed_steps)
            measured.append(dict(name=stage.name, flops_per_image=flops,
                                 seconds_per_image=seconds))
        probe['stages'].append(measured)
    return probe


def _images(cfg: Config, unit: str, length: int, images_per_epoch: int,
            world_size: int) -> int:
    """Training images of ``length`` epochs or iterations (all ranks;
    epochs count the padded shards of a distributed sampler)."""
    if unit == 'max_epochs':
        return length * math.ceil(images_per_epoch / world_size) * world_size
    return length * cfg.train_dataloader.batch_size * world_size


def _per_image(record: dict, match: str, world_size: int) -> float:
    if match == 'flops':
        value = record['flops_per_image']
    else:
        value = record['seconds_per_image'] / world_size
    if not value or value <= 0:
        raise ValueError(f'Measured cost per image is {value}.')
    return value


def _unit_costs(cfg: Config, probe: dict, match: str,
                world_size: int) -> List[Tuple[str, int, float]]:
    """``(length key, configured length, cost of one unit)`` of the config
    (``max_epochs``/``max_iters``) or of each of its phases
    (``phases.i.max_epochs``)."""
    per_epoch = probe['images_per_epoch']
    if not uses_incubation_loop(cfg):
        unit = _length_key(cfg.train_cfg, 'train_cfg')
        return [(unit, cfg.train_cfg[unit],
                 _images(cfg, unit, 1, per_epoch, world_size) *
                 _per_image(probe, match, world_size))]
    found = []
    for index, (phase, stages) in enumerate(zip(cfg.train_cfg.phases,
                                                probe['stages'])):
        unit = _length_key(phase, f'train_cfg.phases.{index}')
        found.append((f'phases.{index}.{unit}', phase[unit],
                      _images(cfg, unit, 1, per_epoch, world_size) * sum(
                          _per_image(s, match, world_size) for s in stages)))
    return found


def fit_to_budget(cfg: Config, budget: float, probe: dict, match: str,
                  world_size: int = 1) -> Dict[str, int]:
    """Set ``cfg``'s length(s) to spend ``budget``; returns the new
    lengths (``{'max_epochs': n}``, or ``{'phases.i.max_iters': n, ...}``),
    which :func:`apply_lengths` sets again from a plan. Every length is
    scaled by one factor and rounded; the last takes up the rounding (a
    plain config's one length is thus the nearest to the budget)."""
    units = _unit_costs(cfg, probe, match, world_size)
    factor = budget / sum(length * cost for _, length, cost in units)
    lengths = [max(1, round(length * factor)) for _, length, _ in units]
    spent = sum(n * cost for n, (_, _, cost) in zip(lengths[:-1], units))
    lengths[-1] = max(1, round((budget - spent) / units[-1][2]))
    return {key: n for (key, _, _), n in zip(units, lengths)}


def _length_key(train_cfg: dict, where: str) -> str:
    for key in ('max_epochs', 'max_iters'):
        if key in train_cfg:
            return key
    raise ValueError(f'{where} has neither max_epochs nor max_iters; the '
                     'benchmark cannot set its length.')


def apply_lengths(cfg: Config, lengths: Dict[str, int]) -> List[str]:
    """Set the lengths :func:`fit_to_budget` chose; a plain config's
    schedulers that ended at the old length end at the new one (a phase's
    schedulers end with their phase anyway). Returns what changed."""
    changes = []
    for key, new in lengths.items():
        if key.startswith('phases.'):
            _, index, unit = key.split('.')
            phase = cfg.train_cfg.phases[int(index)]
            changes.append(f'train_cfg.{key}: {phase[unit]} -> {new}')
            phase[unit] = new
        else:
            changes += _with_length(cfg, key, new)
    return changes


def _with_length(cfg: Config, key: str, new: int) -> List[str]:
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
                f'The arm gets {new} {key[4:]} but param_scheduler'
                f'[{index}] ({sched.get("type")}) begins at '
                f'{sched["begin"]}; raise the budget or shorten the warmup.')
    if schedulers:
        cfg.param_scheduler = schedulers
    return changes


def budget_of(summary: dict, match: str) -> float:
    """What a finished run spent, in the unit of ``match``."""
    total = summary['cost']['total']
    return float(total['flops'] if match == 'flops' else total['seconds'])


def expected_cost(cfg: Config, probe: dict, match: str,
                  world_size: int = 1) -> float:
    """What ``cfg`` (with its lengths set) should spend by the probe."""
    return sum(length * cost
               for _, length, cost in _unit_costs(cfg, probe, match,
                                                  world_size))
