"""tools/run_benchmark.py with what a user hands it, no training: seeds
that join a work_dir's benchmark (finished runs faked on disk as the tool
writes them), other changes refused before anything is written, missing
arm configs named with where they were looked for, relative arm configs
found from any current directory."""
import json
import os
import os.path as osp

import pytest

from tests.helpers import ROOT, run_tool

DIGITS = osp.join(ROOT, 'configs', 'benchmarks', 'digits_incubation_vs_e2e.py')
INCUBATION = osp.join(ROOT, 'configs', 'incubate', 'vit_tiny_k4_digits.py')
E2E = osp.join(ROOT, 'configs', 'e2e', 'vit_tiny_e2e_digits.py')
BENCHMARK = """
benchmark = dict(
    incubation=dict(config='{incubation}'),
    e2e=dict(config='{e2e}'),
    match='flops',
    seeds=[0],
    cfg_options={{'optim_wrapper.optimizer.lr': 2e-3}},
    downstream={downstream!r},
)
"""


def write_benchmark(path, incubation='configs/incubate/vit_tiny_k4_digits.py',
                    e2e='configs/e2e/vit_tiny_e2e_digits.py',
                    downstream=()) -> str:
    path.write_text(BENCHMARK.format(incubation=incubation, e2e=e2e,
                                     downstream=list(downstream)))
    return str(path)


def tree(path) -> dict:
    """Every file and folder under ``path`` with its size and mtime."""
    found = {}
    for dirpath, dirs, files in os.walk(path):
        for name in dirs + files:
            full = osp.join(dirpath, name)
            stat = os.stat(full)
            found[osp.relpath(full, path)] = (stat.st_size, stat.st_mtime_ns)
    return found


def fake_finished_run(work_dir: str, arm: str, seed: int) -> float:
    """A finished run's outputs as run_benchmark reads them: summary.json
    and final.pth. Returns its final accuracy."""
    accuracy = 60.0 + 10 * seed + (5 if arm == 'incubation' else 0)
    flops = 3e12 if arm == 'incubation' else 2.95e12
    point = dict(flops=flops, seconds=2.0, gpu_seconds=2.0, images=1442)
    summary = dict(
        final={'accuracy/top1': accuracy},
        cost=dict(stages=[dict(name='train', phase='train', modules=[],
                               iters=45, flops_per_image=flops / 1442,
                               **point)],
                  total=point, world_size=1),
        evaluations=[dict(iter=45, epoch=1, stage='train',
                          metrics={'accuracy/top1': accuracy}, **point)],
        finished=True)
    if arm == 'incubation':
        summary['meta'] = {'meta/accuracy/top1': accuracy - 20}
    run_dir = osp.join(work_dir, f'{arm}_seed{seed}')
    os.makedirs(run_dir)
    with open(osp.join(run_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f)
    open(osp.join(run_dir, 'final.pth'), 'wb').close()
    return accuracy


def fake_seed0_benchmark(config: str, work_dir: str) -> dict:
    """A work_dir after ``--seeds 0`` has finished: its plan.json (budget
    measured on seed 0's incubation run) and both arms' runs."""
    from mmincubate.benchmark import plan as P
    spec = P.load_benchmark(config)
    spec['seeds'] = [0]
    plan = dict(benchmark=spec, world_size=1)
    total = dict(flops=3e12, seconds=2.0, gpu_seconds=2.0, images=1442)
    plan.update(budget=dict(match='flops', arm='incubation', value=3e12,
                            total=total, seed=0),
                probes=dict(e2e=dict(flops_per_image=28830464.0,
                                     seconds_per_image=None,
                                     images_per_epoch=1442)),
                lengths=dict(e2e=dict(max_epochs=71)))
    os.makedirs(work_dir)
    with open(osp.join(work_dir, 'plan.json'), 'w') as f:
        json.dump(plan, f)
    return {(arm, 0): fake_finished_run(work_dir, arm, 0)
            for arm in ('incubation', 'e2e')}


def test_new_seeds_join_the_plan_and_results_list_every_seed(tmp_path):
    config = write_benchmark(tmp_path / 'bench.py')
    work_dir = str(tmp_path / 'work')
    accuracies = fake_seed0_benchmark(config, work_dir)
    # seed 1 ran in this work_dir too (faked: nothing to train)
    accuracies.update({(arm, 1): fake_finished_run(work_dir, arm, 1)
                       for arm in ('incubation', 'e2e')})
    result = run_tool('run_benchmark.py', config, '--work-dir', work_dir,
                      '--seeds', '1', cwd=ROOT)
    assert result.returncode == 0, result.tail()
    assert result.output.count('finished, skipped') == 2  # seed 1 only
    with open(osp.join(work_dir, 'plan.json')) as f:
        plan = json.load(f)
    assert plan['benchmark']['seeds'] == [0, 1]
    assert plan['budget']['seed'] == 0  # the budget stays seed 0's
    with open(osp.join(work_dir, 'results.json')) as f:
        results = json.load(f)
    assert sorted((r['arm'], r['seed']) for r in results['rows']) == \
        sorted(accuracies)
    for row in results['rows']:
        assert row['final'] == accuracies[row['arm'], row['seed']]
    assert results['benchmark']['seeds'] == [0, 1]
    assert results['aggregate']['incubation']['final']['n'] == 2
    table = (tmp_path / 'work' / 'results.md').read_text()
    for (arm, seed), accuracy in accuracies.items():
        assert f'| {arm} | {seed} |' in table and f'{accuracy:.2f}' in table
    assert 'mean ± std (n=2)' in table


def test_other_changes_in_a_work_dir_are_refused(tmp_path):
    config = write_benchmark(tmp_path / 'bench.py')
    work_dir = str(tmp_path / 'work')
    fake_seed0_benchmark(config, work_dir)
    before = tree(work_dir)
    # another arm config and another lr, with a new seed: refused
    changed = write_benchmark(tmp_path / 'bench.py',
                              e2e='configs/e2e/vit_tiny_e2e_cifar10.py')
    result = run_tool('run_benchmark.py', changed, '--work-dir', work_dir,
                      '--seeds', '1', '--cfg-options',
                      'optim_wrapper.optimizer.lr=0.01', cwd=ROOT)
    assert result.returncode == 1
    message = result.output.strip().splitlines()[-1]
    assert message.startswith(f'error: {work_dir} holds another benchmark')
    assert ("benchmark.arms.e2e.config was "
            "'configs/e2e/vit_tiny_e2e_digits.py' in plan.json, now "
            "'configs/e2e/vit_tiny_e2e_cifar10.py'" in message)
    assert ("benchmark.overrides['optim_wrapper.optimizer.lr'] was not set "
            'in plan.json, now 0.01' in message)
    assert 'benchmark.seeds' not in message  # seeds are no change
    assert 'a new --work-dir starts a new benchmark' in message
    assert tree(work_dir) == before


@pytest.mark.parametrize('broken', ['incubation', 'downstream'])
def test_a_missing_config_stops_before_anything_is_written(tmp_path, broken):
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    if broken == 'incubation':
        missing = 'configs/incubate/no_such_arm.py'
        config = write_benchmark(tmp_path / 'bench.py', incubation=missing)
        label = 'the incubation arm'
    else:
        missing = 'upernet_nowhere.py'
        config = write_benchmark(tmp_path / 'bench.py', downstream=[dict(
            name='ade20k', config=missing, metric='mIoU')])
        label = "the downstream task 'ade20k'"
    fresh = str(tmp_path / 'fresh')
    result = run_tool('run_benchmark.py', config, '--work-dir', fresh,
                      cwd=elsewhere)
    assert result.returncode == 1
    message = result.output.strip()
    assert message.startswith('error: ') and '\n' not in message, message
    assert f'the config of {label}' in message and repr(missing) in message
    for place in (tmp_path, ROOT, elsewhere):  # every place looked at
        assert osp.join(str(place), missing) in message
    assert not osp.exists(fresh)
    # a work_dir that exists holds nothing new afterwards
    existing = tmp_path / 'existing'
    existing.mkdir()
    (existing / 'notes.txt').write_text('mine')
    before = tree(existing)
    result = run_tool('run_benchmark.py', config, '--work-dir', existing,
                      cwd=elsewhere)
    assert result.returncode == 1 and 'does not exist' in result.output
    assert tree(existing) == before


def test_relative_arm_configs_are_found_from_any_directory(tmp_path,
                                                           monkeypatch):
    # the README's benchmark from another directory: a real call (dry run)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    work_dir = str(tmp_path / 'work')
    result = run_tool('run_benchmark.py', DIGITS, '--work-dir', work_dir,
                      '--dry-run', cwd=elsewhere)
    assert result.returncode == 0, result.tail()
    for arm, path in (('incubation', 'incubate/vit_tiny_k4_digits.py'),
                      ('e2e', 'e2e/vit_tiny_e2e_digits.py')):
        assert f'{arm} config: {osp.join(ROOT, "configs", path)}' in \
            result.output
    assert 'plan seeds [0, 1]' in result.output
    assert not osp.exists(work_dir)
    # the order: the benchmark config's directory, then the project
    # root above it (a copy of configs/ wins over this checkout's), then
    # the current directory
    from mmincubate.benchmark.arm_configs import resolve
    from mmincubate.benchmark.plan import normalized
    project = tmp_path / 'project'
    (project / 'configs' / 'benchmarks').mkdir(parents=True)
    (project / 'configs' / 'incubate').mkdir()
    for folder in (project, elsewhere, project / 'configs' / 'benchmarks'):
        (folder / 'local.py').write_text('x = 1\n')
    (project / 'configs' / 'incubate' / 'vit_tiny_k4_digits.py').write_text(
        'x = 1\n')
    (elsewhere / 'cwd_only.py').write_text('x = 1\n')
    config = write_benchmark(project / 'configs' / 'benchmarks' / 'b.py')
    spec = normalized(dict(
        incubation=dict(config='configs/incubate/vit_tiny_k4_digits.py'),
        e2e=dict(config='local.py'),
        downstream=[dict(name='seg', config='cwd_only.py',
                         metric='mIoU')]))
    monkeypatch.chdir(elsewhere)
    found = resolve(spec, config)
    assert found == dict(
        incubation=str(project / 'configs' / 'incubate' /
                       'vit_tiny_k4_digits.py'),
        e2e=str(project / 'configs' / 'benchmarks' / 'local.py'),
        seg=str(elsewhere / 'cwd_only.py'))


def test_command_line_options_apply_to_every_arm_last():
    """--cfg-options (the spec's overrides) win over an arm's own
    cfg_options: a learning-rate sweep reaches every arm."""
    from mmincubate.benchmark.plan import arm_config, normalized
    spec = normalized(dict(
        arms=dict(
            incubation=dict(config=INCUBATION, cfg_options={
                'optim_wrapper.optimizer.lr': 4e-3}),
            e2e=dict(config=E2E)),
        cfg_options={'optim_wrapper.optimizer.lr': 2e-3}))
    assert arm_config(spec, 'incubation', 0).optim_wrapper.optimizer.lr == \
        4e-3
    assert arm_config(spec, 'e2e', 0).optim_wrapper.optimizer.lr == 2e-3
    spec['overrides'] = {'optim_wrapper.optimizer.lr': 8e-3}
    for arm in ('incubation', 'e2e'):
        cfg = arm_config(spec, arm, 3)
        assert cfg.optim_wrapper.optimizer.lr == 8e-3
        assert cfg.randomness.seed == 3
