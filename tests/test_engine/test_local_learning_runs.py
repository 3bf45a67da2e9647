"""LocalLearning runs under IncubationLoop: the measured FLOPs of a local
step equal a hand count, the exports are plain classifiers that
``tools/test.py`` evaluates with the E2E twin config, two processes train
what one trains at twice the batch, and it learns."""
import os.path as osp

import pytest
import torch

from mmincubate.models.algorithms.local_heads import local_weight
from mmincubate.utils import load_checkpoint_file
from tests.helpers import (ROOT, free_port_env, run_tool, short_cfg, summary,
                           tiny_target, train, weights)
from tests.test_engine.test_cost_accounting import (BATCH, DEPTH, DIMS, HEAD,
                                                    HEADS, IMG, K, PATCH,
                                                    TRAINED_BLOCK,
                                                    TRAINED_EMBED, linear)

INFOPRO = osp.join(ROOT, 'configs/local/vit_tiny_k4_digits_infopro.py')
DGL = osp.join(ROOT, 'configs/local/vit_tiny_k4_digits_dgl.py')
E2E = osp.join(ROOT, 'configs/e2e/vit_tiny_e2e_digits.py')
#: InfoPro's patch decoder: a linear layer per patch token
DECODER = linear(DIMS, PATCH * PATCH, (IMG // PATCH)**2)


def local_step(aux_heads: int, decoders: int) -> int:
    """The hand count of a local step per image: the target's forward and
    backward (every block trains, and a detached module input still gets
    its input gradient through the first norm's trainable weights), the
    last module's head, and each auxiliary classifier and decoder:
    forward, input and weight gradient."""
    return (TRAINED_EMBED + DEPTH * TRAINED_BLOCK + 3 * HEAD +
            aux_heads * 3 * HEAD + decoders * 3 * DECODER)


@pytest.fixture(scope='module')
def infopro_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('infopro')
    cfg = short_cfg(work_dir, [
        dict(phase='local', max_iters=4, val_interval=2, drop_path_rate=0.1),
        dict(phase='finetune', max_iters=3, val_interval=3,
             drop_path_rate=0.1)
    ], config=INFOPRO, target=tiny_target(depth=DEPTH, dims=DIMS,
                                          heads=HEADS),
                    batch_size=BATCH, scheduler='constant',
                    checkpoint_interval=2)
    train(cfg)
    return work_dir


def test_local_step_flops_equal_the_hand_count(infopro_run):
    stages = {s['name']: s for s in summary(infopro_run)['cost']['stages']}
    ce = [local_weight((0.0, 1.0), i, K) for i in range(K - 1)]
    rec = [local_weight((1.0, 0.0), i, K) for i in range(K - 1)]
    expected = local_step(sum(w > 0 for w in ce), sum(w > 0 for w in rec))
    assert stages['local']['flops_per_image'] == expected
    assert stages['local']['images'] == 4 * BATCH
    # fine-tuning is the target end to end
    assert stages['finetune']['flops_per_image'] == \
        TRAINED_EMBED + DEPTH * TRAINED_BLOCK + 3 * HEAD


def test_summary_reports_the_assembled_and_the_fine_tuned_model(
        infopro_run):
    result = summary(infopro_run)
    assert {'assembled', 'final'} <= set(result)
    assert 'assembled/accuracy/top1' in result['assembled']
    assert 'accuracy/top1' in result['final']
    for name in ('assembled.pth', 'final.pth', 'iter_4.pth', 'iter_6.pth'):
        assert osp.isfile(infopro_run / name), name


def test_exports_load_strictly_into_the_e2e_twin(infopro_run, tmp_path):
    from mmincubate.registry import MODELS
    twin_cfg = tiny_target(depth=DEPTH, dims=DIMS, heads=HEADS)
    inputs = torch.randn(5, 1, IMG, IMG)
    checkpoint = load_checkpoint_file(  # the end of local
        str(infopro_run / 'iter_4.pth'), trust_mmengine=True)['state_dict']
    for name, source in (('assembled.pth', checkpoint),
                         ('final.pth', None)):
        twin = MODELS.build(twin_cfg).eval()
        twin.load_state_dict(weights(infopro_run / name), strict=True)
        if source is not None:
            reference = MODELS.build(twin_cfg).eval()
            reference.load_state_dict(
                {k[len('target.'):]: v for k, v in source.items()
                 if k.startswith('target.')}, strict=True)
            with torch.no_grad():
                assert torch.equal(twin(inputs), reference(inputs))
    # tools/test.py evaluates final.pth with the E2E twin config and gets
    # the run's own final accuracy
    config = tmp_path / 'twin.py'
    config.write_text(f'_base_ = [{E2E!r}]\nmodel = {twin_cfg!r}\n')
    result = run_tool('test.py', config, infopro_run / 'final.pth',
                      '--work-dir', tmp_path / 'test')
    assert result.returncode == 0, result.output[-4000:]
    final = summary(infopro_run)['final']['accuracy/top1']
    assert f'accuracy/top1: {final:.4f}' in result.output


DIST_CONFIG = '''
_base_ = [{base!r}]
train_cfg = dict(
    _delete_=True, type='IncubationLoop',
    phases=[dict(phase='local', max_iters=6, val_interval=100),
            dict(phase='finetune', max_iters=4, val_interval=100,
                 optim_wrapper=dict(clip_grad=dict(max_norm=1.0)))])
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
optim_wrapper = dict(optimizer=dict(
    _delete_=True, type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0))
train_dataloader = dict(
    batch_size={batch}, dataset=dict(pipeline=[dict(type='PackInputs')]))
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False,
                                     interval=100))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
'''


@pytest.mark.slow
def test_two_processes_match_one_process_at_twice_the_batch(tmp_path):
    """See tests/test_tools/test_dist_train.py for why SGD and no random
    augmentation: the same comparison for local learning (InfoPro, with
    per-module clipping of every module and its auxiliary networks)."""
    import subprocess
    import sys
    for batch in (16, 32):
        (tmp_path / f'b{batch}.py').write_text(
            DIST_CONFIG.format(base=INFOPRO, batch=batch))
    two = subprocess.run(
        ['bash', osp.join(ROOT, 'tools/dist_train.sh'),
         str(tmp_path / 'b16.py'), '2', '--work-dir', str(tmp_path / 'two')],
        env=free_port_env(PYTHON=sys.executable), capture_output=True,
        text=True, timeout=600)
    assert two.returncode == 0, (two.stdout + two.stderr)[-6000:]
    one = run_tool('train.py', tmp_path / 'b32.py', '--work-dir',
                   tmp_path / 'one')
    assert one.returncode == 0, one.output[-6000:]
    for name in ('assembled.pth', 'final.pth'):
        expected = weights(tmp_path / 'one' / name)
        actual = weights(tmp_path / 'two' / name)
        assert set(actual) == set(expected)
        for key, value in expected.items():
            diff = (actual[key] - value).abs().max().item()
            assert diff < 1e-6, f'{name}: {key} differs by {diff}'


@pytest.mark.slow
def test_dgl_learns_on_digits(tmp_path):
    """DGL's local phase alone (no fine-tuning), 15 epochs on the digits:
    the assembled target is far above chance (10%; measured on an AMD EPYC:
    57.18%)."""
    cfg = short_cfg(tmp_path, None, config=DGL, batch_size=64)
    cfg.train_cfg.phases = [dict(phase='local', max_epochs=15,
                                 val_interval=15, drop_path_rate=0.0)]
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True,
                                eta_min=1e-5)]
    cfg.optim_wrapper.optimizer.lr = 2e-3
    train(cfg)
    accuracy = summary(tmp_path)['assembled']['assembled/accuracy/top1']
    print(f'DGL, local phase only, 15 epochs: {accuracy:.2f}% top-1')
    assert accuracy > 40, accuracy
