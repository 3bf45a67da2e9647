"""The step-cost benchmark: its modes train what they claim, the plain loop
is the same work as the framework's step, the report's arithmetic, and the
script end to end on the digits config with its real data pipeline."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmincubate.step_cost.goals import goal_lines, load_goals
from mmincubate.step_cost.machine import (KINETO_QUIET, NVML_CHECK,
                                          worker_env)
from mmincubate.step_cost.measure import (attention_kernels,
                                          data_seconds_per_batch,
                                          measure_mode, op_category,
                                          op_seconds, synthetic_batches)
from mmincubate.step_cost.modes import (all_modes, build_step, expand_modes,
                                        prepare_mode)
from mmincubate.step_cost.report import derive, op_table, summary, table
from mmincubate.utils.machine import cpu_model
from mmincubate.models import DeepIncubation
from tests.helpers import ROOT, tiny_target

SCRIPT = osp.join(ROOT, 'tools/analysis_tools/benchmark_incubation.py')
GOALS = osp.join(ROOT, 'tools/analysis_tools/step_cost_goals.json')
ADAMW = dict(lr=1e-3, weight_decay=0.05)


def build():
    torch.manual_seed(0)
    model = DeepIncubation(target=tiny_target(depth=8))
    model.init_weights()
    return model


def batches(n=6):
    return synthetic_batches(n, 10, 8, pseudo_collate, channels=1)


def test_mode_names():
    assert all_modes(2) == ['plain', 'e2e', 'meta', 'module0', 'module1',
                            'all', 'upstream0', 'upstream1']
    assert expand_modes(['e2e', 'modules', 'upstream', 'module1'], 2) == [
        'e2e', 'module0', 'module1', 'upstream0', 'upstream1']
    with pytest.raises(ValueError, match='choose from'):
        expand_modes(['module4'], 4)
    # the diagnostic mode runs only when named
    assert 'all-summed' not in all_modes(4)
    assert expand_modes(['all', 'all-summed'], 4) == ['all', 'all-summed']


def test_per_hybrid_step_trains_what_the_summed_step_trains():
    """One backward per hybrid (training's step, mode ``all``) gives each
    module the gradient of its own hybrid, as one backward of the summed
    losses (``all-summed``) does, and draws the drop-path masks in the
    same order: the weights after two steps (drop path 0.1, per-module
    clipping) and the logged losses are bitwise the same, and nothing
    reaches the meta model."""
    after, logged = {}, {}
    for mode in ('all', 'all-summed'):
        model = build()
        params = prepare_mode(model, mode, drop_path_rate=0.1)
        step = build_step(model, mode, params, batches(), ADAMW,
                          clip_grad=0.5)
        torch.manual_seed(1)
        for _ in range(2):
            step()
        assert all(p.grad is None for p in model.meta.parameters())
        assert model.per_hybrid_backward  # all-summed restores it
        after[mode] = model.target.state_dict()
        logged[mode] = {k: step.hub.get_scalar(k).current()
                        for k in ('train/loss', 'train/loss_module0',
                                  'train/loss_module3')}
    for key, value in after['all'].items():
        assert torch.equal(after['all-summed'][key], value), key
    assert logged['all'] == logged['all-summed']


def test_hybrids_run_as_they_are_asked_for():
    """iter_hybrid_losses runs hybrid i's target blocks only when hybrid i
    is asked for; the shared meta prefix runs once, before the first."""
    model = build()
    model.set_phase('incubate', modules=[1, 3])
    ran = []
    for j, block in enumerate(model._blocks(model.target)):
        block.register_forward_hook(lambda *_, j=j: ran.append(('t', j)))
    for j, block in enumerate(model._blocks(model.meta)):
        block.register_forward_hook(lambda *_, j=j: ran.append(('m', j)))
    data = model.data_preprocessor(next(batches()), True)
    hybrids = model.iter_hybrid_losses(data['inputs'], data['data_samples'])
    index, losses = next(hybrids)
    prefix = [('m', 0), ('m', 1), ('m', 2)]
    assert index == 1 and list(losses) == ['loss_module1']
    assert ran == prefix + [('t', 2), ('t', 3), ('m', 2), ('m', 3)]
    ran.clear()
    index, losses = next(hybrids)
    assert index == 3 and list(losses) == ['loss_module3']
    assert ran == [('t', 6), ('t', 7)]
    assert next(hybrids, None) is None


def test_upstream_mode_computes_and_discards_meta_tail_gradients():
    model = build()
    params = prepare_mode(model, 'upstream1', drop_path_rate=0.0)
    assert {id(p) for p in params['optimized']} == {
        id(p) for p in model.module_parameters(1)}
    tail = {id(p) for p in params['discarded']}
    meta_blocks = model._blocks(model.meta)
    for j, block in enumerate(meta_blocks):  # blocks 2, 3 behind module 1
        assert all((id(p) in tail) == (j > 1) for p in block.parameters())
    head = model.adapter.head_of(model.meta)
    assert all(id(p) in tail for p in head.parameters())
    assert not any(id(p) in tail for p in
                   model.adapter.backbone_of(model.meta).patch_embed
                   .parameters())
    step = build_step(model, 'upstream1', params, batches(), ADAMW)
    seen = []
    for p in params['discarded']:
        p.register_hook(lambda grad: seen.append(grad))
    step()
    assert len(seen) == len(params['discarded'])  # computed ...
    assert all(p.grad is None for p in model.meta.parameters())  # dropped
    # the last module's hybrid ends in the target's own head: no tail
    assert prepare_mode(model, 'upstream3', 0.0)['discarded'] == []


def test_plain_loop_is_the_same_work_as_the_framework_step():
    after = {}
    for mode in ('plain', 'e2e'):
        model = build()
        params = prepare_mode(model, mode, drop_path_rate=0.0)
        step = build_step(model, mode, params, batches(), ADAMW)
        for _ in range(2):
            step()
        after[mode] = model.target.state_dict()
    for key, value in after['e2e'].items():
        torch.testing.assert_close(after['plain'][key], value, atol=1e-6,
                                   rtol=0, msg=key)


def test_measure_mode_on_cpu():
    model = build()
    result = measure_mode(model, 'all', batches(), iters=2, warmup=1)
    assert 0 < result['paired_share'] < 5
    assert result['sec_per_step'] > 0 and result['flops'] > 0
    assert result['peak_bytes'] > 0 and result['resident_bytes'] > 0
    assert result['attention'].startswith('fused')
    assert result['optimized_params'] == sum(
        p.numel() for p in model.target.parameters())


def test_op_seconds_by_category():
    assert op_category('aten::addmm') == 'matmul'
    assert op_category('aten::mm') == 'matmul'
    assert op_category(
        'aten::_scaled_dot_product_flash_attention_for_cpu') == 'attention'
    assert op_category('aten::gelu_backward') == 'other'
    model = build()
    params = prepare_mode(model, 'e2e', drop_path_rate=0.1)
    step = build_step(model, 'e2e', params, batches(), ADAMW)
    step()
    seconds = op_seconds(step, torch.device('cpu'))
    assert set(seconds) == {'matmul', 'attention', 'other'}
    assert all(v > 0 for v in seconds.values()), seconds


def test_peak_rss_keeps_a_freed_allocation():
    """The CPU peak is the process's high-water mark: a block touched and
    freed still counts. A fresh process, and a block 256 MB larger than the
    gap between the high-water mark the imports left and the memory held
    now, so the block sets a new peak (the margins allow for library pages
    the kernel reclaims meanwhile)."""
    script = (
        'import torch\n'
        'from mmincubate.step_cost.measure import _current_rss, '
        '_peak_rss\n'
        'before, high = _current_rss(), _peak_rss()\n'
        'size = high - before + 256 * 2**20\n'
        'block = torch.ones(size // 4)\n'
        'del block\n'
        'assert _current_rss() < high + 64 * 2**20\n'
        'assert _peak_rss() >= high + 128 * 2**20, '
        '(before, high, _peak_rss())\n')
    subprocess.run([sys.executable, '-c', script], cwd=ROOT, check=True)


def test_data_seconds_per_batch_restarts_epochs(monkeypatch):
    """The digits training split (1,442 images) has 3 batches of 512: the
    warm-up batch and the 5 timed ones run over an epoch end, and the
    figure is the median of the 5 timed batches (a clock that advances
    3, 1, 2, 5 and 4 s across them gives 3 s)."""
    from types import SimpleNamespace

    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmincubate.step_cost import measure as step_measure
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/incubate/vit_tiny_k4_digits.py'))
    loader = dict(cfg.train_dataloader, batch_size=512)
    ticks = iter([0, 3, 10, 11, 20, 22, 30, 35, 40, 44])
    monkeypatch.setattr(step_measure, 'time',
                        SimpleNamespace(perf_counter=lambda: next(ticks)))
    assert data_seconds_per_batch(loader, batches=5) == 3
    assert next(ticks, None) is None  # one clock reading per start and end
    # the batches themselves: epoch after epoch, 512 + 512 + 418 images
    built = Runner.build_dataloader(dict(loader, num_workers=0), seed=0)
    sizes = [len(batch['inputs']) for batch, _ in zip(
        step_measure.loader_batches(built), range(6))]
    assert sizes == [512, 512, 418, 512, 512, 418]


def test_worker_env(monkeypatch):
    for name in ('KINETO_LOG_LEVEL', 'PYTHONWARNINGS', NVML_CHECK):
        monkeypatch.delenv(name, raising=False)
    cpu = worker_env(False, 'ignore:x:UserWarning')
    assert cpu['KINETO_LOG_LEVEL'] == KINETO_QUIET
    assert cpu['PYTHONWARNINGS'] == 'ignore:x:UserWarning'
    assert cpu[NVML_CHECK] == '1'
    gpu = worker_env(True, 'ignore:x:UserWarning')
    assert 'KINETO_LOG_LEVEL' not in gpu and NVML_CHECK not in gpu
    # what the user set wins
    monkeypatch.setenv('KINETO_LOG_LEVEL', '0')
    monkeypatch.setenv('PYTHONWARNINGS', 'error')
    mine = worker_env(False, 'ignore:x:UserWarning')
    assert (mine['KINETO_LOG_LEVEL'], mine['PYTHONWARNINGS']) == ('0', 'error')


def test_cpu_model_reads_the_processor_name(monkeypatch, tmp_path):
    """The name from /proc/cpuinfo's first ``model name`` line; where the
    file cannot be read, the platform's name, else 'unknown model'."""
    from mmincubate.utils import machine
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('processor\t: 0\nvendor_id\t: X\n'
                       'model name\t: Test CPU 9000 @ 1.00GHz\n'
                       'processor\t: 1\nmodel name\t: Other\n')
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == '/proc/cpuinfo':
            return real_open(cpuinfo, *args, **kwargs)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(machine, 'open', fake_open, raising=False)
    assert cpu_model() == 'Test CPU 9000 @ 1.00GHz'
    cpuinfo.unlink()  # unreadable: the platform's word, else a placeholder
    monkeypatch.setattr(machine.platform, 'processor', lambda: 'x86_64')
    assert cpu_model() == 'x86_64'
    monkeypatch.setattr(machine.platform, 'processor', lambda: '')
    assert cpu_model() == 'unknown model'


def test_attention_kernels():
    assert attention_kernels({'aten.mm': 1, 'aten.bmm': 2}) == \
        'unfused (bmm)'
    assert attention_kernels(
        {'aten._scaled_dot_product_efficient_attention': 1,
         'aten._scaled_dot_product_efficient_attention_backward': 2}) == \
        'fused: _scaled_dot_product_efficient_attention'


def fake(sec, flops, peak, resident=100):
    return dict(sec_per_step=sec, flops=flops, peak_bytes=peak,
                resident_bytes=resident, optimizer_sec=sec / 10,
                attention='fused: x')


def test_report_arithmetic():
    results = dict(plain=fake(0.98, 36, 1100), e2e=fake(1.0, 36, 1100),
                   module0=fake(0.4, 15, 600), module1=fake(0.4, 14, 500),
                   all=fake(0.7, 27, 900), upstream0=fake(0.5, 18, 600),
                   upstream1=fake(0.4, 14, 500))
    derived = derive(results, batch=8, num_modules=2, peak_tflops=None)
    rows, run = derived['rows'], derived['run']
    assert rows['module0']['flop_share'] == 15 / 36
    assert rows['module0']['time_over_flop_share'] == \
        pytest.approx(0.4 / (15 / 36))
    assert rows['module0']['memory_share'] == 500 / 1000
    assert run['module']['speedup_of_all'] == pytest.approx(0.8 / 0.7)
    assert run['upstream']['flop_ratio'] == pytest.approx(32 / 27)
    assert run['overhead'] == pytest.approx(1 / 0.98 - 1)
    text = summary(derived, with_data=False, num_modules=2)
    assert 'framework overhead (E2E step over the plain loop): +2.0%' in text
    assert 'worst all 0.933' in text and 'largest module0 0.500' in text
    assert 'MET' not in text  # the library reports; goals are the caller's
    goals = load_goals(GOALS)
    text = goal_lines(derived, with_data=False, goals=goals)
    assert 'goal framework overhead <= 3%: MET (+2.0%)' in text
    assert "step memory <= 0.6x E2E: MET (largest module0 0.500)" in text
    assert 'jobs: MET (1.286x, synthetic tensors' in text
    assert 'FLOP share: MET (worst all 0.933)' in text
    assert 'goal e2e MFU >= 40%: not measured' in text
    text = goal_lines(derived, False, dict(overhead=0.01,
                                           module_memory=0.4))
    assert text.splitlines() == [
        "goal one module's step memory <= 0.4x E2E: MISSED (largest "
        'module0 0.500)', 'goal framework overhead <= 1%: MISSED (+2.0%)']
    results['all']['page_faults_per_step'] = 1234.4
    lines = table(derive(results, batch=8, num_modules=2),
                  list(results)).splitlines()
    assert lines[0].split()[-1] == 'faults'
    assert [line.split()[-1] for line in lines
            if line.split()[0] in ('all', 'e2e')] == ['-', '1234']
    # shares measured against E2E in the mode's own process come first
    results['plain']['paired_share'] = 0.99
    results['all']['paired_share'] = 0.63
    derived = derive(results, batch=8, num_modules=2)
    assert derived['run']['overhead'] == pytest.approx(1 / 0.99 - 1)
    assert derived['run']['module']['speedup_of_all'] == \
        pytest.approx(0.8 / 0.63)
    # all against the same work with one backward of the summed losses,
    # and the operator table of the modes that were profiled
    results['all-summed'] = dict(fake(0.8, 27, 1700), paired_share=0.72)
    results['e2e']['op_seconds'] = dict(matmul=0.6, attention=0.1,
                                        other=0.3)
    results['all']['op_seconds'] = dict(matmul=0.5, attention=0.1,
                                        other=0.4)
    derived = derive(results, batch=8, num_modules=2)
    assert derived['run']['summed']['speedup'] == pytest.approx(0.72 / 0.63)
    assert derived['run']['summed']['memory'] == pytest.approx(800 / 1600)
    assert '(all-summed): 1.143x faster, step memory 0.500x' in summary(
        derived, False, 2)
    ops = op_table(derived, list(results)).splitlines()
    assert [line.split()[0] for line in ops[1:]] == ['e2e', 'all']
    assert ops[2].split()[1:] == ['500', '100', '400', '40.0%', '1.333',
                                  '0.750']
    assert op_table(derive({'e2e': fake(1, 1, 1)}, 8, 2), ['e2e']) is None


def test_script_with_the_real_data_pipeline(tmp_path):
    out = tmp_path / 'figures.json'
    done = subprocess.run(
        [sys.executable, SCRIPT, '--config',
         'configs/incubate/vit_tiny_k4_digits.py', '--data', '--batch', '16',
         '--iters', '2', '--warmup', '1', '--modes', 'e2e', 'module3',
         'upstream3', '--clip-grad', '1.0', '--profile-ops', '--goals',
         GOALS, '--json',
         str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert 'data: SAME' not in done.stdout
    assert done.stdout.startswith(f'CPU ({cpu_model()}), ')
    assert 'operators    matmul attention' in done.stdout
    # the CPU profiler's own log lines stay out of the report
    assert 'profiler_start' not in done.stdout + done.stderr
    assert 'goal one module\'s step memory <= 0.6x E2E:' in done.stdout
    figures = json.loads(out.read_text())
    assert set(figures['results']) == {'e2e', 'module3', 'upstream3'}
    assert figures['derived']['rows']['module3']['flop_share'] < 1


def test_unknown_goals_are_refused(tmp_path):
    goals = tmp_path / 'goals.json'
    goals.write_text('{"overhead": 0.03, "speedup": 2}')
    with pytest.raises(ValueError, match=r"unknown goals \['speedup'\]"):
        load_goals(str(goals))


def test_peak_of_a_known_gpu():
    from mmincubate.utils.machine import peak_tflops
    assert peak_tflops('NVIDIA H100 PCIe') == 756.0
    assert peak_tflops('NVIDIA H100 80GB HBM3') == 989.0
    assert peak_tflops('NVIDIA H200') == 989.0
    assert peak_tflops('NVIDIA GeForce RTX 4090') is None

