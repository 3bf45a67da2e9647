"""High-resolution fine-tuning: a tiny model fine-tuned at twice its
training resolution from its final.pth, evaluated with tools/test.py; the
ImageNet configs' pipelines match their backbones' resolution."""
import glob
import json
import os.path as osp
import re

import pytest
from mmengine.config import Config

from tests.helpers import ROOT, ok, run_tool

FT_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/finetune/*.py')))


def _tool(name, *args):
    return ok(run_tool(name, *args, cwd=ROOT))


@pytest.mark.parametrize('path', FT_CONFIGS,
                         ids=[osp.basename(p) for p in FT_CONFIGS])
def test_pipelines_match_the_backbone_resolution(path):
    cfg = Config.fromfile(path)
    model = cfg.model.get('target', cfg.model)
    size = model.backbone.img_size
    assert size in (16, 384, 392)
    crops = [t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] in ('RandomResizedCrop', 'RandomCrop')]
    assert crops and all(t.get('scale', t.get('crop_size')) == size
                         for t in crops)
    test = cfg.test_dataloader.dataset.pipeline
    final = [t for t in test if t['type'] in ('CenterCrop', 'Resize')][-1]
    assert final.get('crop_size', final.get('scale')) in (size, (size, size))


def test_finetune_at_twice_the_resolution(tmp_path):
    # its own base model: the shared run's 30 iterations leave the digits
    # model near chance, and this test checks that fine-tuning learns
    short = [f'train_cfg.phases.{i}.max_epochs=2' for i in range(3)]
    _tool('train.py', 'configs/incubate/vit_tiny_k4_digits.py', '--work-dir',
          str(tmp_path / 'base'), '--cfg-options', *short)
    base = tmp_path / 'base' / 'final.pth'
    log = _tool('train.py', 'configs/finetune/vit_tiny_k4_digits_ft16.py',
                '--work-dir', str(tmp_path / 'ft16'), '--cfg-options',
                f'model.target_checkpoint={base}',
                'train_cfg.phases.0.max_epochs=2')
    # 4 x 4 patches + cls token -> 8 x 8 + cls token
    assert ('Resize the pos_embed shape from torch.Size([1, 17, 64]) to '
            'torch.Size([1, 65, 64])') in log
    with open(tmp_path / 'ft16/summary.json') as f:
        final = json.load(f)['final']['accuracy/top1']
    report = _tool('test.py', 'configs/finetune/vit_tiny_e2e_digits_ft16.py',
                   str(tmp_path / 'ft16/final.pth'), '--work-dir',
                   str(tmp_path / 'test'))
    top1 = float(re.findall(r"'accuracy/top1': ([0-9.]+)", report)[-1])
    assert top1 == pytest.approx(final, abs=1e-4)
    assert top1 > 30  # far above chance (10%) after 2+2+2+2 epochs


def test_e2e_twin_loads_a_224_style_checkpoint(tmp_path):
    # one epoch of 128 images each
    short = ['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=128']
    _tool('train.py', 'configs/e2e/vit_tiny_e2e_digits.py', '--work-dir',
          str(tmp_path / 'e2e'), '--cfg-options', *short)
    log = _tool('train.py', 'configs/finetune/vit_tiny_e2e_digits_ft16.py',
                '--work-dir', str(tmp_path / 'ft16'), '--cfg-options',
                f'load_from={tmp_path}/e2e/epoch_1.pth', *short)
    assert 'Resize the pos_embed shape' in log
    assert 'accuracy/top1' in log
