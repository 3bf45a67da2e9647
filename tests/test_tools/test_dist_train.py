"""tools/dist_train.sh with 2 CPU processes (gloo): --resume continues every
rank's random streams exactly, and 2 processes at batch b train what 1
process trains at batch 2b."""
import os
import os.path as osp
import subprocess
import sys
import time

import pytest
import torch

from mmincubate.utils import load_checkpoint_file
from tests.helpers import ROOT, free_port_env, run_tool

BASE = osp.join(ROOT, 'configs/incubate/vit_tiny_k4_digits.py')

# 6 iterations per phase; `later`: the options of incubate and finetune
TINY = '''
_base_ = [{base!r}]
train_cfg = dict(
    _delete_=True, type='IncubationLoop',
    phases=[dict(phase='meta', max_iters=6, val_interval={val}),
            dict(phase='incubate', max_iters=6, val_interval={val},
                 **{later}),
            dict(phase='finetune', max_iters=6, val_interval={val},
                 **{later})])
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False,
                        eta_min=1e-5)]
default_hooks = dict(
    logger=dict(interval=3),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval={ckpt},
                    max_keep_ckpts=10))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
'''

CONFIG = TINY.format(
    base=BASE, val=6, ckpt=3, later='dict(drop_path_rate=0.1)') + '''
train_dataloader = dict(batch_size=32)
# a different random stream on every rank (drop path, random crop): resuming
# is exact only if each rank gets its own random state back
randomness = dict(seed=0, diff_rank_seed=True)
'''

# 2 processes at batch b each vs 1 process at batch 2b. The
# pipeline has no random augmentation and drop path is 0: each rank draws its
# own random numbers by design (its own stream, for its own samples), so
# random crops or drop-path masks could never coincide with those of a
# single process. Everything else is deterministic: DefaultSampler gives rank
# r the indices [r::2] of the same shuffled order, so the two ranks' batches
# together are the single process's batch; the loss is a mean over the
# (equal-sized) local batch and DDP averages the gradients, which is the mean
# over the whole batch. Gradient clipping (per module while incubating) acts
# on the averaged gradients in both runs.
# SGD, not the demo's AdamW: Adam is blind to the scale of the gradient (a
# loss summed instead of averaged over ranks would pass unseen), and it turns
# float noise in gradients that are exactly 0 in theory (the attention key
# bias: softmax ignores it) into steps of the full learning rate, so AdamW
# runs differ by ~1e-5 where the gradients agree to ~1e-7.
MATCH_CONFIG = TINY.format(
    base=BASE, val=100, ckpt=100,
    later='dict(optim_wrapper=dict(clip_grad=dict(max_norm=1.0)))') + '''
optim_wrapper = dict(optimizer=dict(
    _delete_=True, type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
train_dataloader = dict(
    batch_size={batch}, dataset=dict(pipeline=[dict(type='PackInputs')]))
'''


def dist_train(config, work_dir, *extra):
    """tools/dist_train.sh with 2 processes."""
    proc = subprocess.run(
        ['bash', osp.join(ROOT, 'tools/dist_train.sh'), str(config), '2',
         '--work-dir', str(work_dir), *extra],
        env=free_port_env(PYTHON=sys.executable), capture_output=True,
        text=True, timeout=600)
    proc.output = proc.stdout + proc.stderr
    return proc


def train(config, work_dir, *extra):
    """tools/train.py, one process (this one)."""
    return run_tool('train.py', config, '--work-dir', work_dir, *extra)


def check(result):
    assert result.returncode == 0, result.output[-6000:]


def weights(path):
    return load_checkpoint_file(str(path))['state_dict']


@pytest.mark.slow(seconds=50)
def test_dist_train_two_cpu_processes_and_resume(tmp_path):
    config = tmp_path / 'tiny.py'
    config.write_text(CONFIG)
    work_dir = tmp_path / 'work'
    check(dist_train(config, work_dir))
    for name in ('meta.pth', 'assembled.pth', 'final.pth', 'iter_18.pth'):
        assert osp.isfile(work_dir / name), name
    final = weights(work_dir / 'final.pth')
    assert all(torch.isfinite(v).all() for v in final.values())
    # every rank's random states are in the checkpoint, and they differ
    rng = load_checkpoint_file(
        str(work_dir / 'iter_9.pth'), trust_mmengine=True)['random_states']
    assert isinstance(rng, list) and len(rng) == 2
    assert not torch.equal(rng[0]['torch'], rng[1]['torch'])

    # drop the end of the run, resume from the checkpoint inside incubation
    for name in ('iter_15.pth', 'iter_18.pth', 'final.pth'):
        os.remove(work_dir / name)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_9.pth'))
    result = dist_train(config, work_dir, '--resume')
    check(result)
    log = result.output
    assert 'resumed epoch' in log and 'iter: 9' in log
    assert osp.isfile(work_dir / 'iter_18.pth')
    # bit for bit the uninterrupted run: each rank replayed its own stream
    resumed = weights(work_dir / 'final.pth')
    for key, value in final.items():
        assert torch.equal(resumed[key], value), (
            f'{key} differs from the uninterrupted run by '
            f'{(resumed[key] - value).abs().max().item()}')

    # resumed by one process: exact replay is impossible, it reseeds
    single = tmp_path / 'single'
    result = train(config, single, '--resume', str(work_dir / 'iter_9.pth'))
    check(result)
    log = result.output
    assert 'iter: 9' in log
    assert 'written by 2 process(es), this run has 1' in log
    assert osp.isfile(single / 'final.pth')


@pytest.fixture(scope='module')
def two_processes(tmp_path_factory):
    """MATCH_CONFIG on 2 processes at batch 16 each (parallel incubation
    with the backward per hybrid): the config and the run's work_dir."""
    root = tmp_path_factory.mktemp('two_processes')
    config = root / 'two.py'
    config.write_text(MATCH_CONFIG.format(batch=16))
    check(dist_train(config, root / 'work'))
    return config, root / 'work'


@pytest.mark.slow
def test_two_processes_match_one_process_at_twice_the_batch(two_processes,
                                                            tmp_path):
    start = time.monotonic()
    _, two = two_processes
    one = tmp_path / 'one.py'
    one.write_text(MATCH_CONFIG.format(batch=32))
    check(train(one, tmp_path / 'one'))
    worst = 0.0
    for name in ('meta.pth', 'assembled.pth', 'final.pth'):
        expected = weights(tmp_path / 'one' / name)
        actual = weights(two / name)
        assert set(actual) == set(expected)
        for key, value in expected.items():
            diff = (actual[key] - value).abs().max().item()
            worst = max(worst, diff)
            # float reduction order only (measured: 3e-8)
            assert diff < 1e-6, f'{name}: {key} differs by {diff}'
    # and the runs did train: fine-tuning moved the assembled weights
    assembled = weights(tmp_path / 'one' / 'assembled.pth')
    final = weights(tmp_path / 'one' / 'final.pth')
    assert max((final[k] - v).abs().max().item()
               for k, v in assembled.items()) > 1e-3
    print(f'max abs difference {worst:.3g}, '
          f'{time.monotonic() - start:.1f} s')


@pytest.mark.slow
def test_per_hybrid_averaging_equals_ddps_reducer(two_processes, tmp_path):
    """Parallel incubation on 2 processes: the per-hybrid step averages each
    module's gradients itself (PerHybridDistributedDataParallel hands the
    step a GradAllReduce); with
    ``model.per_hybrid_backward=False`` DDP's reducer averages the
    gradients of one backward of the summed losses. Both divide by the
    world size, then sum: the same weights."""
    config, per_hybrid = two_processes
    check(dist_train(config, tmp_path / 'summed', '--cfg-options',
                     'model.per_hybrid_backward=False'))
    for name in ('assembled.pth', 'final.pth'):
        expected = weights(tmp_path / 'summed' / name)
        actual = weights(per_hybrid / name)
        for key, value in expected.items():
            assert torch.equal(actual[key], value), (
                f'{name}: {key} differs by '
                f'{(actual[key] - value).abs().max().item()}')
