"""SIGKILL an end-to-end run (mmengine's ``EpochBasedTrainLoop``) at random
points, ``--resume`` until done: bitwise the uninterrupted run.

The run (``_kill_resume_e2e_config.py``) has drop path, random crop/flip, a
checkpoint and a validation after every epoch. Kill points are drawn with a
fixed seed; the process is killed once the checkpoint of that epoch exists,
at the moment the next checkpoint write is seen in flight or after a short
random delay (during training or validation).
"""
import os.path as osp
import random

import pytest
from mmengine.config import Config

from mmincubate.utils import load_checkpoint_file
from tests.kill_resume import (assert_same_tree, finish, kill_after, latest,
                               launch, log_tail, reference_and_killed,
                               resumed_at)

CONFIG = osp.join(osp.dirname(osp.abspath(__file__)),
                  '_kill_resume_e2e_config.py')
SEED = 20261206  # the kill points and delays: random, but reproducible


@pytest.mark.slow(seconds=55)
def test_sigkill_an_e2e_run_then_resume_is_exact(tmp_path):
    epochs = Config.fromfile(CONFIG).train_cfg.max_epochs
    reference, killed = reference_and_killed(CONFIG, tmp_path)

    rng = random.Random(SEED)
    points = sorted(rng.sample(range(1, epochs - 1), 3))
    resumed_from = -1
    for n, point in enumerate(points):
        extra = ('--resume', ) if n else ()
        proc = launch(CONFIG, killed, f'run{n}.log', *extra)
        kill_after(proc, killed, point, resumed_from,
                   delay=rng.uniform(0.0, 0.3), unit='epoch')
        if n:
            assert resumed_at(killed, f'run{n}.log', 'epoch') == resumed_from
        resumed_from = latest(killed, 'epoch')
        assert resumed_from >= point
    name = f'run{len(points)}.log'
    assert finish(launch(CONFIG, killed, name, '--resume',
                         fresh=True)) == 0, log_tail(
        killed, name)
    assert resumed_at(killed, name, 'epoch') == resumed_from

    last = f'epoch_{epochs}.pth'
    expected = load_checkpoint_file(str(reference / last), trust_mmengine=True)
    actual = load_checkpoint_file(str(killed / last), trust_mmengine=True)
    for key in ('state_dict', 'optimizer', 'param_schedulers',
                'random_states'):
        assert_same_tree(actual[key], expected[key], f'{last}:{key}')
