"""SIGKILL ``tools/train.py`` inside every phase, ``--resume`` until done: the
result is bitwise that of an uninterrupted run. And which random state each
rank gets back on resume.

The run (``_kill_resume_config.py``) goes through the whole pipeline (meta ->
incubate, all modules in parallel -> finetune) with drop path and random
crop/flip, a checkpoint after every iteration and ``max_keep_ckpts=2``. One
point per phase is drawn with a fixed seed; the process is killed once the
checkpoint of that point exists, at the moment the next checkpoint write is
seen in flight (its temporary file exists) or after a short random delay, so
the kill lands anywhere, often during a write. After every kill,
``last_checkpoint`` must name a complete, loadable checkpoint; the next launch
resumes from it (``--resume`` without a path, as a user would). The runs
are forked from the training host, but the last, which resumes and
finishes the schedule, is a new interpreter (its own string hash seed).
"""
import glob
import json
import os.path as osp
import random
import re
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmincubate.engine.hooks import IncubationHook, RandomStateHook
from mmincubate.engine.runners import ExactResumeRunner
from mmincubate.utils import load_checkpoint_file
from mmincubate.utils.rng import apply_rng, capture_rng, rng_state_for_rank
from tests.kill_resume import (assert_same_tree, finish, kill_after, launch,
                                log_tail, reference_and_killed, resumed_at)

CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), '_kill_resume_config.py')
EXPORTS = ['meta.pth', 'module_0.pth', 'module_1.pth', 'module_2.pth',
           'module_3.pth', 'assembled.pth', 'final.pth']
SEED = 20231002  # the kill points and delays: random, but reproducible


def phase_ranges():
    """(first, last) iteration count of each phase, from the config."""
    ranges, begin = [], 0
    for phase in Config.fromfile(CONFIG).train_cfg.phases:
        ranges.append((begin + 1, begin + phase['max_iters']))
        begin += phase['max_iters']
    return ranges


def check_last_checkpoint(work_dir):
    """``last_checkpoint`` names a complete checkpoint; its iteration."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        path = f.read().strip()
    assert path, 'last_checkpoint is empty after the kill'
    assert osp.isfile(path), f'last_checkpoint names a missing file {path}'
    checkpoint = load_checkpoint_file(path, trust_mmengine=True)
    iteration = int(re.search(r'iter_(\d+)\.pth$', path).group(1))
    assert checkpoint['meta']['iter'] == iteration
    assert {'state_dict', 'optimizer', 'param_schedulers',
            'incubation'} <= set(checkpoint)
    return iteration


@pytest.mark.slow(seconds=55)
def test_sigkill_in_every_phase_then_resume_is_exact(tmp_path):
    start = time.monotonic()
    ranges = phase_ranges()
    total = ranges[-1][1]
    reference, killed = reference_and_killed(CONFIG, tmp_path)

    rng = random.Random(SEED)
    # leave the run room to reach the kill inside the phase
    points = [rng.randint(first, last - 3) for first, last in ranges]
    resumed_from, kills, in_flight = -1, [], 0
    for n, point in enumerate(points):
        extra = ('--resume', ) if n else ()
        proc = launch(CONFIG, killed, f'run{n}.log', *extra)
        leftovers = set(glob.glob(osp.join(killed, '.iter_*.tmp')))
        kill_after(proc, killed, point, resumed_from,
                   delay=rng.uniform(0.0, 0.15))
        in_flight += bool(
            set(glob.glob(osp.join(killed, '.iter_*.tmp'))) - leftovers)
        if n:
            assert resumed_at(killed, f'run{n}.log') == resumed_from
        resumed_from = check_last_checkpoint(killed)
        assert resumed_from >= point
        kills.append(resumed_from)
    # every phase was interrupted
    assert [any(first <= k <= last for k in kills)
            for first, last in ranges] == [True] * len(ranges), kills
    name = f'run{len(points)}.log'
    assert finish(launch(CONFIG, killed, name, '--resume',
                         fresh=True)) == 0, log_tail(
        killed, name)
    assert resumed_at(killed, name) == resumed_from

    for export in EXPORTS:
        expected = load_checkpoint_file(str(reference / export))
        actual = load_checkpoint_file(str(killed / export))
        assert_same_tree(actual['state_dict'], expected['state_dict'],
                         export)
    last = f'iter_{total}.pth'
    expected = load_checkpoint_file(str(reference / last), trust_mmengine=True)
    actual = load_checkpoint_file(str(killed / last), trust_mmengine=True)
    for key in ('state_dict', 'optimizer', 'param_schedulers'):
        assert_same_tree(actual[key], expected[key], f'{last}:{key}')
    for key in ('stages', 'incubated_modules', 'phase_metrics'):
        assert_same_tree(actual['incubation'][key],
                         expected['incubation'][key], f'{last}:{key}')
    with open(reference / 'summary.json') as f, \
            open(killed / 'summary.json') as g:
        # everything but wall time: metrics, FLOPs, images, evaluations
        assert without_wall_time(json.load(f)) == without_wall_time(
            json.load(g))
    print(f'kill points {points}, resumed from {kills}, {in_flight} kill(s) '
          f'left a checkpoint write unfinished, '
          f'{time.monotonic() - start:.1f} s')


def test_each_rank_gets_its_own_random_state_back(tmp_path, monkeypatch):
    """One state per rank in the checkpoint; a world size that differs from
    the checkpoint's (or a missing entry) reseeds deterministically, and the
    reseed replaces every random stream a checkpoint would restore."""
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path)
    runner = ExactResumeRunner.from_cfg(cfg)
    runner.train_loop  # built: the loop's state and the random states
    hooks = [h for h in runner.hooks
             if isinstance(h, (IncubationHook, RandomStateHook))]
    assert len(hooks) == 2
    before = capture_rng()
    checkpoint = {}
    for hook in hooks:
        hook.before_save_checkpoint(runner, checkpoint)
    assert 'rng' not in checkpoint['incubation']  # saved once, beside it
    states = checkpoint['random_states']
    assert isinstance(states, list) and len(states) == 1  # one process
    assert torch.equal(states[0]['torch'], before['torch'])

    warnings = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'warning',
                        warnings.append)
    seed = runner.seed
    assert rng_state_for_rank(None, seed, 5) is None
    assert rng_state_for_rank(states, seed, 5) is states[0]
    # written before per-rank states
    assert rng_state_for_rank(states[0], seed, 5) is states[0]
    assert not warnings
    other = dict(states[0], torch=torch.zeros_like(states[0]['torch']))
    for saved, reason in [([states[0], other], 'written by 2 process'),
                          ([None], 'no random state of rank 0')]:
        reseed = rng_state_for_rank(saved, seed, 5)
        assert isinstance(reseed, int)
        assert 'not possible' in warnings[-1] and reason in warnings[-1]
        assert rng_state_for_rank(saved, seed, 5) == reseed != \
            rng_state_for_rank(saved, seed, 6)

    # applying the reseed sets python's, numpy's and torch's streams,
    # whatever the process drew before
    reseeded = []
    for draws in (1, 2):
        random.random(), np.random.rand(draws), torch.rand(draws)
        apply_rng(reseed)
        reseeded.append(capture_rng())
    assert reseeded[0]['python'] == reseeded[1]['python']
    assert all(np.array_equal(a, b) for a, b in zip(reseeded[0]['numpy'],
                                                    reseeded[1]['numpy']))
    assert torch.equal(reseeded[0]['torch'], reseeded[1]['torch'])
    apply_rng(rng_state_for_rank([None], seed, 6))
    assert not torch.equal(torch.get_rng_state(), reseeded[0]['torch'])
    # this rank's saved state comes back as it was; None leaves the streams
    apply_rng(states[0])
    apply_rng(None)
    assert random.getstate() == before['python']
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(),
                                                    before['numpy']))
    assert torch.equal(torch.get_rng_state(), before['torch'])


def without_wall_time(tree):
    """``tree`` without its timings (``seconds``, ``gpu_seconds``)."""
    if isinstance(tree, dict):
        return {k: without_wall_time(v) for k, v in tree.items()
                if k not in ('seconds', 'gpu_seconds')}
    if isinstance(tree, list):
        return [without_wall_time(v) for v in tree]
    return tree
