"""Converted checkpoints end to end ("checkpoint interop"): timm and official
Deep Incubation release files, converted with tools/model_converters/, start
an incubation run (tools/train.py) or are evaluated (tools/test.py) with the
digits configs. Tiny random timm models only, no downloads; every tool runs
as its command line, in this process."""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from mmincubate.engine.hooks.cost_accounting_hook import COST_KEYS
from mmincubate.utils import load_checkpoint_file
from tests.helpers import (E2E_DIGITS, INCUBATE_DIGITS, digits_vit,
                           release_checkpoint, reported_metrics, run_tool,
                           summary)

pytest.importorskip('timm')

# the digits target (configs/_base_/models/vit_tiny_digits.py): 8 blocks of
# width 64, 4 heads, MLP 128, 2x2 patches of 8x8 one-channel images; K = 4,
# so the meta model has 4 blocks
DEPTH, K = 8, 4
MODULE_DEPTHS = [DEPTH // K] * K

SCHEDULE = '''
_base_ = [{base!r}]
train_cfg = dict(
    _delete_=True, type='IncubationLoop',
    phases=[dict(phase='incubate', max_iters=4, val_interval=100,
                 drop_path_rate=0.1, modules=[0, 1, 2, 3]),
            dict(phase='finetune', max_iters=4, val_interval=100,
                 drop_path_rate=0.1,
                 optim_wrapper=dict(clip_grad=dict(max_norm=1.0)))])
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False,
                        eta_min=1e-5)]
train_dataloader = dict(batch_size=32)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=4,
                    max_keep_ckpts=5))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
'''


def digits_val_scores(model) -> tuple:
    """Softmax scores of a timm model on the digits validation split, as
    mmpretrain's data preprocessor feeds it ((x - 127.5) / 127.5)."""
    from mmincubate.datasets import DigitsDataset
    dataset = DigitsDataset(split='val')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    images = np.stack([info['img'] for info in infos]).transpose(0, 3, 1, 2)
    inputs = (torch.from_numpy(images).float() - 127.5) / 127.5
    with torch.no_grad():
        scores = model(inputs).softmax(dim=1)
    return scores, torch.tensor([info['gt_label'] for info in infos])


@pytest.fixture(scope='module')
def interop(tmp_path_factory):
    """Convert with the 3 converters, then train from the converted meta
    model and evaluate the two converted targets (every tool in this
    process, as its command line)."""
    tmp = tmp_path_factory.mktemp('interop')
    models = {'meta': digits_vit(K, seed=1),
              'target': digits_vit(DEPTH, seed=2),
              'release': digits_vit(DEPTH, seed=3)}
    torch.save(models['meta'].state_dict(), tmp / 'meta_timm.pth')
    torch.save(models['target'].state_dict(), tmp / 'target_timm.pth')
    torch.save(release_checkpoint(models['release'].state_dict(),
                                  MODULE_DEPTHS), tmp / 'release.pth')
    convert = {
        'meta': ['timm_to_mmincubate', 'meta_timm.pth'],
        'target': ['timm_to_mmincubate', 'target_timm.pth'],
        'release': ['deep_incubation_to_mmincubate', 'release.pth'],
    }
    conversions = {
        name: run_tool(f'model_converters/{script}.py', tmp / src,
                       tmp / f'{name}_mm.pth')
        for name, (script, src) in convert.items()}
    for name, result in conversions.items():
        assert result.returncode == 0, (name, result.tail())

    config = tmp / 'incubate_from_timm_meta.py'
    config.write_text(SCHEDULE.format(base=INCUBATE_DIGITS))
    runs = {
        'train': run_tool('train.py', config, '--work-dir', tmp / 'run',
                          '--cfg-options',
                          f'model.meta_checkpoint={tmp / "meta_mm.pth"}'),
        'target': run_tool('test.py', E2E_DIGITS, tmp / 'target_mm.pth',
                           '--work-dir', tmp / 'eval_t', '--out',
                           tmp / 'target.pkl'),
        'release': run_tool('test.py', E2E_DIGITS, tmp / 'release_mm.pth',
                            '--work-dir', tmp / 'eval_r', '--out',
                            tmp / 'release.pkl'),
    }
    return tmp, models, conversions, runs


def test_incubation_starts_from_converted_timm_meta(interop):
    tmp, _, conversions, runs = interop
    result, run = runs['train'], tmp / 'run'
    assert result.returncode == 0, result.tail()
    assert 'done:' in conversions['meta'].output
    # no meta phase: incubation and fine-tuning from the converted meta model
    assert 'Stage 1/2 "incubate[0, 1, 2, 3]"' in result.output
    assert 'Stage 2/2 "finetune"' in result.output
    assert not osp.exists(run / 'meta.pth')
    tags = [k for k in summary(run) if k not in COST_KEYS]
    assert tags == ['hybrid0', 'hybrid1', 'hybrid2', 'hybrid3', 'assembled',
                    'final']
    assert [s['name'] for s in summary(run)['cost']['stages']] == [
        'incubate[0, 1, 2, 3]', 'finetune']
    for name in ('module_0.pth', 'module_3.pth', 'assembled.pth',
                 'final.pth'):
        assert osp.isfile(run / name), name
    # the meta model of the run is the converted file, weight for weight,
    # before and after fine-tuning (frozen throughout)
    converted = load_checkpoint_file(str(tmp / 'meta_mm.pth'))['state_dict']
    for iteration in (4, 8):
        state = load_checkpoint_file(str(run / f'iter_{iteration}.pth'),
                                     trust_mmengine=True)['state_dict']
        meta = {k[len('meta.'):]: v for k, v in state.items()
                if k.startswith('meta.')
                and not k.startswith('meta.data_preprocessor.')}
        assert set(meta) == set(converted)
        for key, value in converted.items():
            assert torch.equal(meta[key], value), (iteration, key)
    # and the timm weights are what was converted (one spot check per kind)
    timm_state = torch.load(tmp / 'meta_timm.pth', weights_only=True)
    assert torch.equal(converted['backbone.layers.3.attn.qkv.weight'],
                       timm_state['blocks.3.attn.qkv.weight'])
    assert torch.equal(converted['head.layers.head.weight'],
                       timm_state['head.weight'])


@pytest.mark.parametrize('name', ['target', 'release'])
def test_converted_target_evaluates_like_timm(interop, name):
    """tools/test.py with the E2E digits config on a converted checkpoint
    (timm, or the official release layout) predicts what timm predicts."""
    tmp, models, conversions, runs = interop
    if name == 'release':
        log = conversions['release'].output
        assert '"model" and "model_stages" agree' in log
        assert 'merged 4 modules with depths [2, 2, 2, 2]' in log
    metrics = reported_metrics(runs[name])
    expected, labels = digits_val_scores(models[name])
    with open(tmp / f'{name}.pkl', 'rb') as f:
        predictions = pickle.load(f)  # our own file, written just now
    predictions.sort(key=lambda p: p['sample_idx'])
    scores = torch.stack([torch.as_tensor(p['pred_score'])
                          for p in predictions])
    assert scores.shape == expected.shape == (355, 10)
    torch.testing.assert_close(scores, expected, rtol=0, atol=1e-5)
    accuracy = 100.0 * (expected.argmax(1) == labels).float().mean().item()
    assert metrics['accuracy/top1'] == pytest.approx(accuracy, abs=1e-3)


def test_e2e_config_is_the_converted_shape():
    """The shapes above are those of the digits configs."""
    from mmengine.config import Config
    target = Config.fromfile(E2E_DIGITS).model.backbone
    assert (target.arch.embed_dims, target.arch.num_layers,
            target.arch.num_heads, target.arch.feedforward_channels,
            target.img_size, target.patch_size, target.in_channels) == (
                64, DEPTH, 4, 128, 8, 2, 1)
    incubation = Config.fromfile(INCUBATE_DIGITS).model
    assert incubation.num_modules == K
