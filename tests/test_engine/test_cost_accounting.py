"""CostAccountingHook: measured FLOPs equal a hand count of the matrix
products of every phase; images, evaluations and summary.json add up."""
import json
import os.path as osp

import pytest

from mmincubate.engine.runners import ExactResumeRunner
from tests.helpers import ROOT, short_cfg, tiny_target

DIMS, HEADS, DEPTH, K, CLASSES = 32, 2, 8, 4, 10
IMG, PATCH, CHANNELS = 8, 2, 1
TOKENS = (IMG // PATCH)**2 + 1  # patches + cls token
BATCH = 32


# ----------------------------------------------------------------------
# the hand count (a multiply-add is 2 FLOPs), per image
# ----------------------------------------------------------------------
def linear(n_in: int, n_out: int, rows: int = 1) -> int:
    return 2 * rows * n_in * n_out


#: a block's linear layers (qkv, proj, fc1, fc2)
LIN = (linear(DIMS, 3 * DIMS, TOKENS) + linear(DIMS, DIMS, TOKENS) +
       linear(DIMS, 2 * DIMS, TOKENS) + linear(2 * DIMS, DIMS, TOKENS))
#: one attention product over all heads (q @ k^T, or attn @ v)
PRODUCT = 2 * TOKENS * TOKENS * DIMS
EMBED = linear(CHANNELS * PATCH * PATCH, DIMS, (IMG // PATCH)**2)
HEAD = linear(DIMS, CLASSES)

# A linear layer: forward 1x, input gradient 1x, weight gradient 1x.
# Fused attention: forward 2 products; backward 5 (q @ k^T recomputed, then
# the gradients of the scores, v, q and k), whenever any input needs one.
TRAINED_BLOCK = 3 * LIN + 7 * PRODUCT
FROZEN_BLOCK_BEHIND = 2 * LIN + 7 * PRODUCT  # passes gradients to its input
FROZEN_BLOCK_IN_FRONT = LIN + 2 * PRODUCT  # forward only, no autograd
TRAINED_EMBED = 2 * EMBED  # forward and weight gradient (images need none)


def e2e(depth: int) -> int:
    return TRAINED_EMBED + depth * TRAINED_BLOCK + 3 * HEAD


def hybrid(i: int) -> int:
    """Module i (two target blocks) in the 4-block meta model."""
    module = (DEPTH // K) * TRAINED_BLOCK
    embed = TRAINED_EMBED if i == 0 else EMBED
    head = 3 * HEAD if i == K - 1 else 2 * HEAD
    return (embed + i * FROZEN_BLOCK_IN_FRONT + module +
            (K - 1 - i) * FROZEN_BLOCK_BEHIND + head)


def parallel_incubation() -> int:
    """All modules in one step: the meta embedding and the meta blocks in
    front of the modules run once for all of them."""
    own = hybrid(0) + sum(hybrid(i) - EMBED - i * FROZEN_BLOCK_IN_FRONT
                          for i in range(1, K))
    return own + EMBED + (K - 1) * FROZEN_BLOCK_IN_FRONT


def make_cfg(work_dir, phases,
             config='configs/incubate/vit_tiny_k4_digits.py'):
    """The hand-counted tiny ViT (K=4) in ``config``, at a constant lr."""
    return short_cfg(work_dir, phases, config=osp.join(ROOT, config),
                     target=tiny_target(depth=DEPTH, dims=DIMS, heads=HEADS),
                     batch_size=BATCH, scheduler='constant',
                     checkpoint_interval=100)


def summary_of(work_dir) -> dict:
    with open(osp.join(str(work_dir), 'summary.json')) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def sequential(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('sequential')
    phases = [dict(phase='meta', max_iters=3, val_interval=3),
              dict(phase='incubate', max_iters=2, mode='sequential'),
              dict(phase='finetune', max_iters=3, val_interval=3)]
    ExactResumeRunner.from_cfg(make_cfg(work_dir, phases)).train()
    return summary_of(work_dir)


def stage(summary, name) -> dict:
    stages = {s['name']: s for s in summary['cost']['stages']}
    return stages[name]


def test_every_phase_costs_its_hand_count(sequential):
    assert stage(sequential, 'meta')['flops_per_image'] == e2e(K)
    assert stage(sequential, 'finetune')['flops_per_image'] == e2e(DEPTH)
    for i in range(K):
        assert stage(sequential, f'incubate[{i}]')['flops_per_image'] == \
            hybrid(i), i


def test_phase_costs_order_as_the_method_implies(sequential):
    finetune = stage(sequential, 'finetune')['flops_per_image']
    assert stage(sequential, 'meta')['flops_per_image'] < finetune
    modules = [stage(sequential, f'incubate[{i}]')['flops_per_image']
               for i in range(K)]
    assert all(m < finetune for m in modules)
    # meta blocks behind the module cost a backward, those in front do not
    assert modules[1] > modules[2] > modules[3]


def test_images_totals_and_evaluations_add_up(sequential):
    stages = sequential['cost']['stages']
    assert [s['name'] for s in stages] == [
        'meta', 'incubate[0]', 'incubate[1]', 'incubate[2]', 'incubate[3]',
        'finetune'
    ]
    for s in stages:
        assert s['images'] == s['iters'] * BATCH
        assert s['flops'] == pytest.approx(s['flops_per_image'] * s['images'])
        assert s['seconds'] > 0
    total = sequential['cost']['total']
    assert total['flops'] == pytest.approx(sum(s['flops'] for s in stages))
    assert total['images'] == BATCH * (3 + 4 * 2 + 3)
    assert sequential['finished'] is True
    evaluations = sequential['evaluations']
    flops = [e['flops'] for e in evaluations]
    assert flops == sorted(flops) and flops[-1] == pytest.approx(
        total['flops'])
    keys = [next(iter(e['metrics'])) for e in evaluations]
    assert keys[0] == 'meta/accuracy/top1'
    assert 'assembled/accuracy/top1' in keys
    assert keys[-1] == 'accuracy/top1'
    # the per-tag metrics stay where the tools read them
    assert sequential['final'] == evaluations[-1]['metrics']


def test_parallel_incubation_runs_the_prefix_once(tmp_path):
    phases = [dict(phase='meta', max_iters=1, val_interval=100),
              dict(phase='incubate', max_iters=1, val_interval=100)]
    ExactResumeRunner.from_cfg(make_cfg(tmp_path, phases)).train()
    summary = summary_of(tmp_path)
    measured = stage(summary, 'incubate[0, 1, 2, 3]')['flops_per_image']
    assert measured == parallel_incubation()
    assert measured < sum(hybrid(i) for i in range(K))


def test_e2e_runs_record_the_same_figures(tmp_path):
    cfg = make_cfg(tmp_path, 6, config='configs/e2e/vit_tiny_e2e_digits.py')
    ExactResumeRunner.from_cfg(cfg).train()
    summary = summary_of(tmp_path)
    (train, ) = summary['cost']['stages']
    assert train['name'] == 'train'
    assert train['flops_per_image'] == e2e(DEPTH)
    assert train['images'] == 6 * BATCH
    assert [e['iter'] for e in summary['evaluations']] == [3, 6]
    assert summary['final'] == summary['evaluations'][-1]['metrics']
