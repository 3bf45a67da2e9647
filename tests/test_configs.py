"""Every shipped config parses and its model builds (large ones on the meta
device)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tests.helpers import ROOT

CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in p and '/benchmarks/' not in p)
BENCHMARKS = sorted(glob.glob(osp.join(ROOT, 'configs', 'benchmarks', '*.py')))


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_builds(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmincubate'))
    from mmengine.registry import MODELS
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    if cfg.get('train_cfg', {}).get('type') == 'IncubationLoop':
        check_incubation_schedule(cfg, model)


def check_incubation_schedule(cfg, model):
    """The schedule the IncubationLoop would build: its phases parse, lay
    out on an epoch of any length, and every stage's schedulers get ends."""
    from mmincubate.engine.loops.schedule import (lay_out, parse_phases,
                                                  scheduler_cfgs)
    from mmincubate.registry import LOOPS
    assert LOOPS.get('IncubationLoop') is not None
    stages = parse_phases(cfg.train_cfg.phases, model.num_modules,
                          cfg.optim_wrapper, cfg.get('param_scheduler'),
                          model.PHASES, model.MODULE_PHASES)
    lay_out(stages, epoch_length=7)
    for stage in stages:
        for scheduler in scheduler_cfgs(stage):
            assert scheduler.get('end') is not None, (stage.name, scheduler)
    assert {s.phase for s in stages} <= set(model.PHASES)


@pytest.mark.parametrize('path', BENCHMARKS,
                         ids=[osp.relpath(p, ROOT) for p in BENCHMARKS])
def test_benchmark_config_arms_build(path, monkeypatch):
    """Each arm of a benchmark, with the benchmark's overrides, is a
    config whose model builds, of the kind its name says."""
    from mmincubate.benchmark.plan import arm_config, load_benchmark
    monkeypatch.chdir(ROOT)  # benchmark configs name configs/... paths
    spec = load_benchmark(path)
    from mmengine.registry import MODELS
    for arm in spec['arms']:
        cfg = arm_config(spec, arm, spec['seeds'][0])
        init_default_scope(cfg.get('default_scope', 'mmincubate'))
        with torch.device('meta'):
            model = MODELS.build(cfg.model)
        expected = {'e2e': 'ImageClassifier', 'incubation': 'DeepIncubation',
                    'incubation_random_meta': 'DeepIncubation',
                    'dgl': 'LocalLearning', 'infopro': 'LocalLearning'}
        assert type(model).__name__ == expected[arm], arm
