"""tools/run_benchmark.py: both arms at equal measured FLOPs, results that
agree with each other, a second call that skips what is finished, a
downstream arm on the ADE20K samples; and incubation that learns."""
import contextlib
import io
import json
import os
import os.path as osp
import re

import pytest

from mmincubate.benchmark import train_host

from tests.helpers import (ADE_TRAIN3, ADE_VAL3, CIFAR_TAR, ROOT, TINY_ARCH,
                           extract_cifar_subset, load_tool, need,
                           segmentor_config)

run_benchmark = load_tool('run_benchmark.py')

DIGITS_BENCHMARK = """
benchmark = dict(
    incubation=dict(config='{root}/configs/incubate/vit_tiny_k4_digits.py'),
    e2e=dict(config='{root}/configs/e2e/vit_tiny_e2e_digits.py'),
    match='flops',
    seeds=[0],
    # one batch per epoch: the whole schedule in seconds
    cfg_options={{'train_dataloader.dataset.indices': 64,
                 'val_dataloader.dataset.indices': 64,
                 'default_hooks.checkpoint.interval': 10}},
)
"""


def run(config: str, work_dir: str) -> tuple:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        results = run_benchmark.main([config, '--work-dir', work_dir])
    return results, out.getvalue()


@pytest.fixture(scope='module')
def digits(tmp_path_factory):
    root = tmp_path_factory.mktemp('benchmark')
    config = root / 'digits_bench.py'
    config.write_text(DIGITS_BENCHMARK.format(root=ROOT))
    work_dir = str(root / 'work')
    results, out = run(str(config), work_dir)
    return str(config), work_dir, results, out


def test_both_arms_run_at_equal_flops(digits):
    _, work_dir, results, _ = digits
    rows = {r['arm']: r for r in results['rows']}
    assert set(rows) == {'incubation', 'e2e'}
    budget = results['plan']['budget']['value']
    assert rows['incubation']['tflops'] * 1e12 == pytest.approx(budget)
    assert rows['e2e']['tflops'] == pytest.approx(
        rows['incubation']['tflops'], rel=0.02)
    assert rows['e2e']['cost_ratio'] == pytest.approx(1.0, abs=0.02)
    # each arm is an ordinary run with its complete config and exports
    for arm in ('incubation', 'e2e'):
        assert osp.isfile(osp.join(work_dir, f'{arm}_seed0', 'config.py'))
        assert osp.isfile(osp.join(work_dir, f'{arm}_seed0', 'final.pth'))
    for tag in ('meta', 'hybrid', 'assembled', 'final'):
        assert rows['incubation'][tag] is not None, tag
    assert rows['e2e']['meta'] is None and rows['e2e']['final'] is not None


def test_results_json_and_markdown_agree(digits):
    _, work_dir, results, out = digits
    with open(osp.join(work_dir, 'results.json')) as f:
        assert json.load(f)['rows'] == json.loads(json.dumps(
            results['rows']))
    with open(osp.join(work_dir, 'results.md')) as f:
        table = f.read()
    assert table in out  # the table is printed
    for row in results['rows']:
        line = next(li for li in table.splitlines()
                    if li.startswith(f'| {row["arm"]} | {row["seed"]} |'))
        cells = [c.strip() for c in line.strip('|').split('|')]
        assert cells[2] == f'{row["tflops"]:.3f}'
        assert cells[-1] == f'{row["final"]:.2f}'
    assert '**incubation**' in table and '**e2e**' in table


def test_plot_is_a_png(digits):
    _, work_dir, _, _ = digits
    path = osp.join(work_dir, 'cost_accuracy.png')
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    import matplotlib.image
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_a_second_call_skips_finished_runs(digits):
    config, work_dir, results, _ = digits
    summaries = [osp.join(work_dir, f'{a}_seed0', 'summary.json')
                 for a in ('incubation', 'e2e')]
    stamps = [os.stat(p).st_mtime_ns for p in summaries]
    again, out = run(config, work_dir)
    assert out.count('finished, skipped') == 2
    assert [os.stat(p).st_mtime_ns for p in summaries] == stamps
    assert again['rows'] == results['rows']


def test_an_unfinished_run_is_resumed_not_restarted(digits, tmp_path):
    config, work_dir, results, _ = digits
    summary = osp.join(work_dir, 'e2e_seed0', 'summary.json')
    with open(summary) as f:
        state = json.load(f)
    state['finished'] = False  # as if the process died after its last save
    with open(summary, 'w') as f:
        json.dump(state, f)
    again, out = run(config, work_dir)
    assert f'resuming {work_dir}/e2e_seed0' in out
    rows = {r['arm']: r for r in again['rows']}
    before = {r['arm']: r for r in results['rows']}
    # the resumed run trained nothing more: the same FLOPs and accuracy
    assert rows['e2e']['tflops'] == before['e2e']['tflops']
    assert rows['e2e']['final'] == before['e2e']['final']


def test_bad_benchmark_configs_are_refused(tmp_path):
    config = tmp_path / 'bad.py'
    config.write_text("benchmark = dict(incubation=dict(config='x.py'), "
                      "e2e=dict(config='y.py'), match='epochs')\n")
    with pytest.raises(SystemExit, match="match='epochs'; choose from"):
        run_benchmark.main([str(config), '--work-dir', str(tmp_path / 'w')])


ALL_ARMS = """
_base_ = [{config!r}]
benchmark = dict(
    seeds=[0],
    cfg_options={{'train_dataloader.dataset.indices': 64,
                 'val_dataloader.dataset.indices': 64,
                 'default_hooks.checkpoint.interval': 10}})
"""


@pytest.mark.slow
def test_every_arm_at_short_lengths_spends_the_budget(tmp_path):
    """configs/benchmarks/digits_all_methods.py with one batch per epoch:
    every arm matched to the incubation arm's FLOPs within 2%, a row per
    arm, local learning reported after its local phase and fine-tuned, and
    each arm paired with E2E."""
    config = tmp_path / 'all.py'
    config.write_text(ALL_ARMS.format(
        config=osp.join(ROOT, 'configs/benchmarks/digits_all_methods.py')))
    results, out = run(str(config), str(tmp_path / 'work'))
    rows = {r['arm']: r for r in results['rows']}
    assert list(rows) == ['incubation', 'e2e', 'incubation_random_meta',
                          'dgl', 'infopro']
    for arm, row in rows.items():
        assert row['cost_ratio'] == pytest.approx(1.0, abs=0.02), arm
        assert row['final'] is not None, arm
    for arm in ('dgl', 'infopro', 'incubation_random_meta'):
        assert rows[arm]['assembled'] is not None, arm
        assert rows[arm]['meta'] is None, arm
    lengths = results['plan']['lengths']
    # the local arms keep their phases' 1:1 ratio (the last one takes up
    # the rounding)
    for arm in ('dgl', 'infopro'):
        local, finetune = lengths[arm].values()
        assert abs(local - finetune) <= 1, lengths[arm]
    assert set(results['paired']) == set(rows) - {'e2e'}
    for pair in results['paired'].values():
        assert pair['differences'] == {0: pytest.approx(pair['mean'])}
    table = (tmp_path / 'work' / 'results.md').read_text()
    for arm in rows:
        assert f'| {arm} | 0 |' in table
    assert 'Paired with e2e' in table
    assert re.search(r'run 5/5: infopro, seed 0; .* left', out)


@pytest.mark.slow
def test_downstream_arm_on_ade20k(tmp_path):
    need(CIFAR_TAR)
    need(ADE_VAL3)
    need(ADE_TRAIN3)
    data = str(tmp_path / 'cifar')
    extract_cifar_subset(osp.join(data, 'train'), per_class=4)
    extract_cifar_subset(osp.join(data, 'val'), per_class=2)
    os.makedirs(tmp_path / 'upernet')
    upernet = segmentor_config(
        'upernet_vit-b-incub_mln_8xb2-80k_ade20k-512x512.py', 'unset',
        str(tmp_path / 'upernet' / 'work'))
    tiny = dict(arch=TINY_ARCH, patch_size=16)
    config = tmp_path / 'bench.py'
    config.write_text(f"""
benchmark = dict(
    incubation=dict(
        config='{ROOT}/configs/incubate/vit_tiny_k4_cifar10.py',
        cfg_options={{'model.target.backbone': {tiny!r},
                     'model.target.head.in_channels': 32,
                     'train_cfg.phases.0.max_epochs': 2,
                     'train_cfg.phases.1.max_epochs': 2,
                     'train_cfg.phases.2.max_epochs': 2}}),
    e2e=dict(config='{ROOT}/configs/e2e/vit_tiny_e2e_cifar10.py',
             cfg_options={{'model.backbone': {tiny!r},
                          'model.head.in_channels': 32}}),
    match='flops',
    seeds=[0],
    cfg_options={{'train_dataloader.dataset.data_root': '{data}',
                 'val_dataloader.dataset.data_root': '{data}',
                 'train_dataloader.num_workers': 0,
                 'train_dataloader.persistent_workers': False,
                 'val_dataloader.num_workers': 0,
                 'val_dataloader.persistent_workers': False,
                 'train_dataloader.batch_size': 20}},
    downstream=[dict(name='ade20k', config='{upernet}', metric='mIoU')],
)
""")
    results, out = run(str(config), str(tmp_path / 'work'))
    for row in results['rows']:
        assert isinstance(row['ade20k'], float), row
        assert 0 <= row['ade20k'] <= 100
    assert '| ade20k |' in (tmp_path / 'work' / 'results.md').read_text()
    for arm in ('incubation', 'e2e'):
        log = open(next(
            osp.join(dp, f) for dp, _, fs in os.walk(
                tmp_path / 'work' / f'{arm}_seed0' / 'ade20k')
            for f in fs if f.endswith('.log'))).read()
        assert re.search(r'PlainViT: loaded all \d+ backbone tensors', log)


def test_plot_tool_joins_runs_that_continue_each_other(digits, tmp_path):
    _, work_dir, _, _ = digits
    from mmincubate.benchmark.results import chained, load_summary
    first, second = (osp.join(work_dir, f'{a}_seed0')
                     for a in ('incubation', 'e2e'))
    joined = chained([first, second])
    a, b = load_summary(first), load_summary(second)
    assert joined['cost']['total']['flops'] == pytest.approx(
        a['cost']['total']['flops'] + b['cost']['total']['flops'])
    assert joined['evaluations'][-1]['flops'] == pytest.approx(
        a['cost']['total']['flops'] + b['evaluations'][-1]['flops'])
    assert len(joined['cost']['stages']) == len(a['cost']['stages']) + 1
    plot_cost_accuracy = load_tool('analysis_tools/plot_cost_accuracy.py')
    out = str(tmp_path / 'joined.png')
    with contextlib.redirect_stdout(io.StringIO()):
        plot_cost_accuracy.main([f'{first},{second}', first, '--labels',
                                 'joined', 'incubation', '--out', out,
                                 '--x', 'seconds'])
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    with pytest.raises(SystemExit):
        plot_cost_accuracy.main([first, '--labels', 'a', 'b', '--out', out])


def test_wall_time_is_recorded_per_run(digits):
    _, work_dir, results, _ = digits
    for row in results['rows']:
        with open(osp.join(work_dir, f'{row["arm"]}_seed0',
                           'wall_time.json')) as f:
            attempts = json.load(f)['attempts']
        # later attempts: the resume test's
        assert not attempts[0]['resumed']
        assert all(a['resumed'] for a in attempts[1:])
        assert attempts[0]['processor']
        # forked from the preloaded host where it can be (CPU, Linux)
        assert attempts[0]['process'] == (
            train_host.FORKED if train_host.usable() else train_host.FRESH)
        # the run's own CPU time: some, and no more than its cores allow
        first = attempts[0]
        assert 0 < first['cpu_seconds'] <= first['seconds'] * first['cpus']
        # the process also started up, validated and saved: more than
        # its training time
        assert row['wall_seconds'] == attempts[0]['seconds']
        assert row['wall_seconds'] > row['seconds'] > 0


def test_kept_results_continue_in_a_new_work_dir(digits, tmp_path):
    """--results-dir keeps the small files of every run; a call on another
    work_dir (another machine) restores them and trains nothing."""
    config, work_dir, results, _ = digits
    kept = tmp_path / 'kept'
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run_benchmark.main([config, '--work-dir', work_dir,
                            '--results-dir', str(kept)])
    assert sorted(os.listdir(kept)) == ['cost_accuracy.png', 'plan.json',
                                        'results.json', 'results.md', 'runs']
    for arm in ('incubation', 'e2e'):
        assert sorted(os.listdir(kept / 'runs' / f'{arm}_seed0')) == [
            'config.py', 'summary.json', 'wall_time.json']
    fresh = tmp_path / 'elsewhere'
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        again = run_benchmark.main([config, '--work-dir', str(fresh),
                                    '--results-dir', str(kept)])
    text = out.getvalue()
    assert text.count('restored from') == 2
    assert '[benchmark] training' not in text
    assert text.count('finished, skipped') == 2
    from mmincubate.benchmark.wall_time import wall_seconds

    def without_wall(rows):  # the resume test may have added an attempt
        return [{k: v for k, v in r.items() if k != 'wall_seconds'}
                for r in json.loads(json.dumps(rows))]

    assert without_wall(again['rows']) == without_wall(results['rows'])
    for row in again['rows']:
        assert row['wall_seconds'] == wall_seconds(
            osp.join(work_dir, f'{row["arm"]}_seed0'))
    assert again['plan']['budget'] == results['plan']['budget']
    assert not list(fresh.rglob('*.pth'))
