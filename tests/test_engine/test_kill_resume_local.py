"""SIGKILL a local-learning run (InfoPro with block auxiliary classifiers)
in both phases, ``--resume`` until done: bitwise the uninterrupted run."""
import os.path as osp
import random

import pytest
from mmengine.config import Config

from mmincubate.utils import load_checkpoint_file
from tests.kill_resume import (assert_same_tree, finish, kill_after, latest,
                               launch, log_tail, reference_and_killed,
                               resumed_at)

CONFIG = osp.join(osp.dirname(osp.abspath(__file__)),
                  '_kill_resume_local_config.py')
SEED = 20261207  # the kill points and delays: random, but reproducible


@pytest.mark.slow(seconds=40)
def test_sigkill_a_local_learning_run_then_resume_is_exact(tmp_path):
    phases = Config.fromfile(CONFIG).train_cfg.phases
    local, total = phases[0]['max_iters'], sum(p['max_iters'] for p in phases)
    reference, killed = reference_and_killed(CONFIG, tmp_path)

    rng = random.Random(SEED)
    points = [rng.randint(1, local - 3), rng.randint(local + 1, total - 3)]
    resumed_from = -1
    for n, point in enumerate(points):
        extra = ('--resume', ) if n else ()
        proc = launch(CONFIG, killed, f'run{n}.log', *extra)
        kill_after(proc, killed, point, resumed_from,
                   delay=rng.uniform(0.0, 0.15))
        if n:
            assert resumed_at(killed, f'run{n}.log') == resumed_from
        resumed_from = latest(killed)
        assert resumed_from >= point
    name = f'run{len(points)}.log'
    assert finish(launch(CONFIG, killed, name, '--resume',
                         fresh=True)) == 0, log_tail(
        killed, name)
    assert resumed_at(killed, name) == resumed_from

    for export in ('assembled.pth', 'final.pth'):
        assert_same_tree(
            load_checkpoint_file(str(killed / export))['state_dict'],
            load_checkpoint_file(str(reference / export))['state_dict'],
            export)
    last = f'iter_{total}.pth'
    expected = load_checkpoint_file(str(reference / last), trust_mmengine=True)
    actual = load_checkpoint_file(str(killed / last), trust_mmengine=True)
    for key in ('state_dict', 'optimizer', 'param_schedulers',
                'random_states'):
        assert_same_tree(actual[key], expected[key], f'{last}:{key}')
    print(f'kill points {points}')
