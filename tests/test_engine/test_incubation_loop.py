"""IncubationLoop and IncubationHook with a real Runner on CPU; the
whole-pipeline checks read the session's shared digits run."""
import os.path as osp
import shutil

import pytest
import torch
from mmengine.hooks import Hook

from mmincubate.engine.runners import ExactResumeRunner
from mmincubate.models.assembly import assemble_modules
from mmincubate.utils import load_checkpoint_file
from tests.helpers import shared_run_cfg as make_cfg
from tests.helpers import SHORT_PHASES as SHORT
from tests.helpers import summary, train

run = train


def test_all_phases_run_and_export(digits_run):
    work_dir, state = digits_run
    for name in ['meta.pth', 'module_0.pth', 'module_3.pth', 'assembled.pth',
                 'final.pth', 'summary.json']:
        assert osp.isfile(osp.join(work_dir, name)), name
    metrics = summary(work_dir)
    assert set(metrics) >= {'meta', 'hybrid0', 'hybrid1', 'hybrid2',
                            'hybrid3', 'assembled', 'final'}
    # meta weights are bitwise those at the end of the meta phase
    meta = load_checkpoint_file(osp.join(work_dir, 'meta.pth'))['state_dict']
    for k, v in meta.items():
        assert torch.equal(state[f'meta.{k}'], v), k
    # the assembled export is exactly the stacked module exports
    assembled = load_checkpoint_file(
        osp.join(work_dir, 'assembled.pth'))['state_dict']
    stacked = assemble_modules(
        [osp.join(work_dir, f'module_{i}.pth') for i in (2, 0, 3, 1)])
    assert set(stacked) == set(assembled)
    for k in stacked:
        assert torch.equal(stacked[k], assembled[k]), k
    # final.pth is a plain mmpretrain classifier checkpoint
    from mmpretrain.registry import MODELS
    plain = MODELS.build(make_cfg(work_dir).model.target)
    final = load_checkpoint_file(osp.join(work_dir, 'final.pth'))
    plain.load_state_dict(final['state_dict'], strict=True)


def test_incubation_changes_only_modules(digits_run):
    work_dir, _ = digits_run
    before = load_checkpoint_file(
        osp.join(work_dir, 'iter_15.pth'), trust_mmengine=True)['state_dict']
    after = load_checkpoint_file(
        osp.join(work_dir, 'iter_20.pth'), trust_mmengine=True)['state_dict']
    for key in before:
        if key.startswith('meta.'):
            assert torch.equal(before[key], after[key]), key
    changed = [k for k in before if k.startswith('target.')
               and not torch.equal(before[k], after[k])]
    assert any('layers.0.' in k for k in changed)
    assert any('layers.7.' in k for k in changed)


@pytest.mark.parametrize('iteration', [5, 15, 25])
def test_resume_mid_phase_is_exact(digits_run, tmp_path, iteration):
    """Resume from a checkpoint inside each phase: same final weights."""
    work_dir, expected = digits_run
    shutil.copy(osp.join(work_dir, f'iter_{iteration}.pth'),
                tmp_path / f'iter_{iteration}.pth')
    with open(tmp_path / 'last_checkpoint', 'w') as f:
        f.write(str(tmp_path / f'iter_{iteration}.pth'))
    cfg = make_cfg(tmp_path)
    cfg.resume = True
    runner, state = run(cfg)
    assert runner.train_loop.iter == 30
    for k, v in expected.items():
        assert torch.equal(state[k], v), k


def test_sequential_subset_and_assembly(digits_run, tmp_path):
    work_dir, _ = digits_run
    phases = [dict(phase='incubate', max_iters=3, modules=[3, 1],
                   mode='sequential')]
    cfg = make_cfg(tmp_path, phases=phases,
                   meta_checkpoint=osp.join(work_dir, 'meta.pth'))
    runner, state = run(cfg)
    assert [s.name for s in runner.train_loop.stages] == [
        'incubate[3]', 'incubate[1]']
    assert not osp.exists(tmp_path / 'assembled.pth')
    module1 = load_checkpoint_file(tmp_path / 'module_1.pth')['state_dict']
    for k, v in module1.items():
        assert torch.equal(state[f'target.{k}'], v)
    # mix modules from two runs; the set must be complete
    files = [osp.join(work_dir, 'module_0.pth'), str(tmp_path / 'module_1.pth'),
             osp.join(work_dir, 'module_2.pth'), str(tmp_path / 'module_3.pth')]
    assembled = assemble_modules(files)
    for k, v in module1.items():
        assert torch.equal(assembled[k], v)
    from mmincubate.utils import CheckpointFormatError
    with pytest.raises(CheckpointFormatError, match=r'missing'):
        assemble_modules(files[:3])
    with pytest.raises(CheckpointFormatError, match=r'more than once'):
        assemble_modules(files + files[:1])


@pytest.mark.parametrize('phases, message', [
    ([dict(phase='pretrain', max_iters=2)], 'choose from'),
    ([dict(phase='incubate', max_iters=2, modules=[4])], 'modules'),
    ([dict(phase='meta', max_iters=2, max_epochs=1)], 'exactly one'),
    ([dict(phase='incubate', max_iters=2)], 'meta_checkpoint'),
    ([dict(phase='finetune', max_iters=2)], 'target_checkpoint'),
])
def test_bad_schedules(tmp_path, phases, message):
    runner = ExactResumeRunner.from_cfg(make_cfg(tmp_path, phases=phases))
    with pytest.raises(ValueError, match=message):
        runner.train()


def test_gradient_accumulation_per_phase(tmp_path):
    """accumulative_counts=2 (the ViT-H configs): each phase updates on every
    second iteration and on its last one, whatever the phase before did."""
    from mmengine.hooks import Hook

    class RecordUpdates(Hook):

        def __init__(self):
            self.updated = []
            self.before = None

        def _trainable(self, runner):
            return {n: p.detach().clone()
                    for n, p in runner.model.named_parameters()
                    if p.requires_grad}

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.before = self._trainable(runner)

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            after = self._trainable(runner)
            self.updated.append(any(
                not torch.equal(after[n], v) for n, v in self.before.items()))

    phases = [dict(phase='meta', max_iters=3, val_interval=100),
              dict(phase='incubate', max_iters=3, val_interval=100),
              dict(phase='finetune', max_iters=3, val_interval=100)]
    cfg = make_cfg(tmp_path, phases=phases)
    cfg.optim_wrapper.accumulative_counts = 2
    runner = ExactResumeRunner.from_cfg(cfg)
    recorder = RecordUpdates()
    runner.register_hook(recorder)
    runner.train()
    assert recorder.updated == [False, True, True] * 3


def test_parallel_equals_sequential_without_drop_path(digits_run,
                                                      tmp_path):
    """Every stage starts from the (seed, phase) state with its own epoch
    count, and the frozen meta prefix makes each module's gradient its own
    hybrid's: with no random draws in the model (drop path 0), all modules
    in one step train exactly as one after another (and as separate jobs)."""
    work_dir, _ = digits_run
    states, initial = {}, None
    for mode in ('parallel', 'sequential'):
        phases = [dict(phase='incubate', max_iters=6, val_interval=100,
                       drop_path_rate=0.0, mode=mode,
                       optim_wrapper=dict(clip_grad=dict(max_norm=1.0)))]
        cfg = make_cfg(tmp_path / mode, phases=phases,
                       meta_checkpoint=osp.join(work_dir, 'meta.pth'))
        runner = ExactResumeRunner.from_cfg(cfg)
        initial = {k: v.clone() for k, v in runner.model.state_dict().items()}
        runner.train()
        states[mode] = runner.model.state_dict()
    assert set(states['parallel']) == set(states['sequential'])
    for key, value in states['parallel'].items():
        assert torch.equal(value, states['sequential'][key]), key
    # (meta weights change too: meta.pth loads when training starts)
    trained = [k for k, v in states['parallel'].items()
               if k.startswith('target.') and not torch.equal(v, initial[k])]
    for i in range(4):  # every module moved
        assert any(f'layers.{2 * i}.' in k for k in trained), i


class _Recorder(Hook):
    """Writes down the loop's custom events and their arguments."""

    def __init__(self):
        self.events = []

    def before_incubation_stage(self, runner, stage, resumed):
        self.events.append(('before', stage.name, resumed, runner.iter))

    def after_incubation_val(self, runner, tag, metrics, phase_metrics):
        assert phase_metrics[tag] == metrics  # every tag's, this one's too
        self.events.append(('val', tag, sorted(metrics)))

    def after_incubation_stage(self, runner, stage, assembled,
                               phase_metrics):
        self.events.append(('after', stage.name, assembled,
                            sorted(phase_metrics), runner.iter))


def test_loop_tells_hooks_what_happened(tmp_path):
    runner = ExactResumeRunner.from_cfg(make_cfg(tmp_path, phases=SHORT))
    recorder = _Recorder()
    runner.register_hook(recorder)
    runner.train()
    top1 = lambda tag: [f'{tag}/accuracy/top1']  # noqa: E731
    assert recorder.events == [
        ('before', 'meta', False, 0),
        ('val', 'meta', top1('meta')),
        ('after', 'meta', False, ['meta'], 2),
        ('before', 'incubate[0]', False, 2),
        ('val', 'hybrid0', top1('hybrid0')),
        ('after', 'incubate[0]', False, ['hybrid0', 'meta'], 4),
        ('before', 'incubate[1]', False, 4),
        ('val', 'hybrid1', top1('hybrid1')),
        ('after', 'incubate[1]', False, ['hybrid0', 'hybrid1', 'meta'], 6),
        ('before', 'incubate[2, 3]', False, 6),
        ('val', 'hybrid2', top1('hybrid2')),
        ('val', 'hybrid3', top1('hybrid3')),
        ('val', 'assembled', top1('assembled')),
        ('after', 'incubate[2, 3]', True,
         ['assembled', 'hybrid0', 'hybrid1', 'hybrid2', 'hybrid3', 'meta'],
         8),
        ('before', 'finetune', False, 8),
        ('val', 'final', ['accuracy/top1']),
        ('after', 'finetune', False,
         ['assembled', 'final', 'hybrid0', 'hybrid1', 'hybrid2', 'hybrid3',
          'meta'], 10),
    ]
    # resumed inside the last stage: the stage is announced as resumed
    resumed = make_cfg(tmp_path, phases=SHORT)
    resumed.resume = True
    resumed.load_from = str(tmp_path / 'iter_5.pth')
    runner = ExactResumeRunner.from_cfg(resumed)
    recorder = _Recorder()
    runner.register_hook(recorder)
    runner.train()
    assert recorder.events[0] == ('before', 'incubate[1]', True, 5)


def test_early_stopping_ends_the_run_after_its_stage(tmp_path):
    """mmengine's EarlyStoppingHook sets stop_training: the loop stops at
    once, finishes the stage it is in (validation, export), and starts no
    other. The config lists no IncubationHook: the loop adds it."""
    cfg = make_cfg(tmp_path)
    cfg.custom_hooks = [dict(type='EarlyStoppingHook',
                             monitor='meta/accuracy/top1', patience=1,
                             min_delta=1000.0)]
    cfg.train_cfg.phases[0]['val_interval'] = 2
    runner = ExactResumeRunner.from_cfg(cfg)
    runner.train()
    assert any(type(h).__name__ == 'IncubationHook' for h in runner.hooks)
    # validations at iterations 2 (the best) and 4 (no gain: stop)
    assert runner.iter == 4
    assert set(runner.train_loop.phase_metrics) == {'meta'}
    assert osp.isfile(tmp_path / 'meta.pth')
    assert not osp.exists(tmp_path / 'module_0.pth')
