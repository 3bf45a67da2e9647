"""High-resolution fine-tuning: the E2E twin loads a checkpoint trained at
half its resolution, and the ImageNet configs' pipelines match their
backbones' resolution. (Fine-tuning an incubated model at twice its
resolution: tests/test_engine/test_incubation_learns.py.)"""
import glob
import os.path as osp

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
