"""The step-cost benchmark: its modes train what they claim, the plain loop
is the same work as the framework's step, the measurements, and the script
end to end on the digits config with its real data pipeline (the report's
arithmetic: ``test_step_cost_report.py``)."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmincubate.step_cost.measure import (attention_kernels,
                                          data_seconds_per_batch,
                                          measure_mode, op_category,
                                          op_seconds, synthetic_batches)
from mmincubate.step_cost.modes import (all_modes, build_step, expand_modes,
                                        prepare_mode)
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


def test_attention_kernels():
    assert attention_kernels({'aten.mm': 1, 'aten.bmm': 2}) == \
        'unfused (bmm)'
    assert attention_kernels(
        {'aten._scaled_dot_product_efficient_attention': 1,
         'aten._scaled_dot_product_efficient_attention_backward': 2}) == \
        'fused: _scaled_dot_product_efficient_attention'


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
