"""The paper's Table 2 as GPU benchmarks (DeiT-T of 32 and 128 blocks on
CIFAR-100), checked on CPU: every arm resolves, and a dry run of each arm's
complete config goes through all of its phases."""
import os.path as osp

import pytest

from tests.helpers import ROOT, run_tool

TABLE2 = ['configs/benchmarks/cifar100_deit_tiny32.py',
          'configs/benchmarks/cifar100_deit_tiny128.py']
PHASES = dict(incubation=['meta', 'incubate', 'finetune'],
              dgl=['local', 'finetune'], infopro=['local', 'finetune'])


@pytest.mark.parametrize('config', TABLE2)
def test_every_arm_resolves_and_dry_runs(config, tmp_path, monkeypatch):
    from mmincubate.benchmark.plan import arm_config, load_benchmark
    monkeypatch.chdir(ROOT)
    result = run_tool('run_benchmark.py', config, '--dry-run',
                      '--work-dir', tmp_path / 'bench')
    assert result.returncode == 0, result.output
    assert f'dry run of {config}: nothing trained' in result.output
    spec = load_benchmark(config)
    assert sorted(spec['arms']) == ['dgl', 'e2e', 'incubation', 'infopro']
    assert spec['budget_arm'] == 'incubation' and spec['match'] == 'flops'
    depth = 32 if 'tiny32' in config else 128
    for arm in spec['arms']:
        assert f'{arm} config: ' in result.output
        cfg = arm_config(spec, arm, spec['seeds'][0])
        target = cfg.model.get('target', cfg.model)
        assert target.backbone.arch.num_layers == depth
        assert target.backbone.patch_size == 4
        assert target.head.num_classes == 100
        assert cfg.train_dataloader.dataset.type == 'CIFAR100'
        path = tmp_path / f'{arm}.py'
        cfg.dump(str(path))
        dry = run_tool('train.py', path, '--dry-run', '--work-dir',
                       tmp_path / arm)
        assert dry.returncode == 0, dry.output
        assert not osp.exists(tmp_path / arm)
        for index, phase in enumerate(PHASES.get(arm, [])):
            assert f'phase {index}: {phase} (' in dry.output, dry.output
        if arm == 'e2e':
            assert "'max_epochs': 300" in dry.output
