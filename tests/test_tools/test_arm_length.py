"""Each arm's length for a budget (mmincubate/benchmark/arm_length.py),
from probes given by hand: plain and phased configs, FLOPs and time."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmincubate.benchmark.arm_length import (apply_lengths, expected_cost,
                                             fit_to_budget)
from tests.helpers import ROOT

DGL = osp.join(ROOT, 'configs/local/vit_tiny_k4_digits_dgl.py')
E2E = osp.join(ROOT, 'configs/e2e/vit_tiny_e2e_digits.py')
IMAGES = 1442  # the digits training split


def stage(flops, seconds=None):
    return dict(name='s', flops_per_image=flops, seconds_per_image=seconds)


def test_a_plain_config_gets_the_epochs_of_the_budget():
    cfg = Config.fromfile(E2E)
    probe = dict(images_per_epoch=IMAGES, flops_per_image=2e7,
                 seconds_per_image=1e-3)
    lengths = fit_to_budget(cfg, 29.4 * IMAGES * 2e7, probe, 'flops')
    assert lengths == {'max_epochs': 29}
    # time: seconds per image over the processes
    lengths = fit_to_budget(cfg, 10 * IMAGES * 1e-3 / 2, probe, 'time',
                            world_size=2)
    assert lengths == {'max_epochs': 10}


@pytest.mark.parametrize('match', ['flops', 'time'])
def test_a_phased_config_keeps_its_phase_ratio(match):
    cfg = Config.fromfile(DGL)  # local 40, finetune 40 epochs
    probe = dict(images_per_epoch=IMAGES,
                 stages=[[stage(3e7, 2e-3)], [stage(2e7, 1e-3)]])
    unit = 3e7 + 2e7 if match == 'flops' else 2e-3 + 1e-3
    budget = 20.3 * IMAGES * unit  # about half the configured cost
    lengths = fit_to_budget(cfg, budget, probe, match)
    assert list(lengths) == ['phases.0.max_epochs', 'phases.1.max_epochs']
    local, finetune = lengths.values()
    assert local == 20 and abs(finetune - local) <= 1
    changes = apply_lengths(cfg, lengths)
    assert changes == [f'train_cfg.phases.0.max_epochs: 40 -> {local}',
                       f'train_cfg.phases.1.max_epochs: 40 -> {finetune}']
    # the last phase takes up the rounding: within half its epoch
    half_epoch = 0.5 * IMAGES * (2e7 if match == 'flops' else 1e-3)
    assert abs(expected_cost(cfg, probe, match) - budget) <= half_epoch


def test_a_config_without_a_length_is_an_error():
    cfg = Config.fromfile(E2E)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop')
    probe = dict(images_per_epoch=IMAGES, flops_per_image=2e7)
    with pytest.raises(ValueError, match='neither max_epochs nor max_iters'):
        fit_to_budget(cfg, 1e12, probe, 'flops')
