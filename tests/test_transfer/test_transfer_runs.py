"""From an incubation checkpoint to a tools/test.py report on real data:
Mask R-CNN (1333x800 multi-scale and LSJ families) on 10 COCO val2017
images, UperNet on the ADE20K samples. The shipped ViT-B configs are used
with the width and depth shrunk to the tiny incubated ViT, smaller images
and CPU settings (no AMP, no SyncBN)."""
import glob
import math
import os
import os.path as osp
import random
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import load

from tests.conftest import ROOT
from tests.test_transfer.conftest import (ADE_TRAIN3, ADE_VAL3, COCO10,
                                          TINY_ARCH, need)

pytestmark = pytest.mark.slow


def _run_tool(tool: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', tool), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def _shrink(obj, sizes: dict):
    """Replace image sizes inside pipelines / preprocessors, recursively."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in sizes:
                obj[key] = sizes[key]
            else:
                _shrink(value, sizes)
    elif isinstance(obj, list):
        for item in obj:
            _shrink(item, sizes)


def _cpu_settings(cfg: Config, checkpoint: str, work_dir: str,
                  iters: int) -> None:
    backbone = cfg.model.backbone
    backbone.arch = TINY_ARCH
    # the last block (Mask R-CNN) or all 4 blocks (UperNet's 4 levels)
    depth = TINY_ARCH['num_layers']
    backbone.out_indices = tuple(range(depth))[-len(backbone.out_indices):]
    backbone.drop_path_rate = 0.1
    backbone.init_cfg.checkpoint = checkpoint
    cfg.optim_wrapper.type = 'OptimWrapper'
    cfg.optim_wrapper.pop('loss_scale', None)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.batch_size = 2
    if cfg.train_cfg.type == 'IterBasedTrainLoop':
        cfg.train_cfg.update(max_iters=iters, val_interval=iters)
        cfg.default_hooks.checkpoint.update(by_epoch=False, interval=iters)
    else:
        cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir


def _assert_finite_losses(log: str, names) -> None:
    """Every logged value of each loss is a finite number."""
    for name in names:
        values = re.findall(rf'(?<![\w.]){re.escape(name)}: (\S+)', log)
        assert values, f'{name} was never logged'
        assert all(math.isfinite(float(v)) for v in values), (name, values)


def _metrics(log: str) -> str:
    """The ``test metrics: {...}`` line tools/test.py prints."""
    return re.findall(r'test metrics: (\{.*\})', log)[-1]


def _last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def _detector_config(config: str, checkpoint: str, work_dir: str) -> str:
    cfg = Config.fromfile(osp.join(ROOT, 'configs/mask_rcnn', config))
    _cpu_settings(cfg, checkpoint, work_dir, iters=4)
    cfg.model.neck.in_channels = TINY_ARCH['embed_dims']
    # few proposals (CPU time); keep every detection of the barely trained
    # model so that the COCO metrics have something to score
    cfg.model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
    cfg.model.train_cfg.rcnn.sampler.num = 64
    cfg.model.test_cfg.rpn.update(nms_pre=100, max_per_img=50)
    cfg.model.test_cfg.rcnn.update(score_thr=0.0, max_per_img=10)
    _shrink(cfg.train_dataloader.dataset.pipeline,
            dict(scales=[(320, 192), (320, 224)], scale=(256, 256),
                 crop_size=(256, 256)))
    for name in ('val_dataloader', 'test_dataloader'):
        _shrink(cfg[name].dataset.pipeline,
                dict(scale=(320, 224), size=(256, 256)))
    _shrink(cfg.model.data_preprocessor, dict(size=(256, 256)))
    if cfg.model.data_preprocessor.pad_size_divisor == 1024:  # LSJ
        cfg.model.data_preprocessor.pad_size_divisor = 256
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].dataset.update(
            data_root=COCO10 + '/',
            ann_file='annotations/instances_val2017_subset.json',
            data_prefix=dict(img='val2017/'))
    for name in ('val_evaluator', 'test_evaluator'):
        cfg[name].ann_file = osp.join(
            COCO10, 'annotations/instances_val2017_subset.json')
    path = osp.join(osp.dirname(work_dir), 'config.py')
    cfg.dump(path)
    return path


@pytest.mark.parametrize('config', [
    'mask-rcnn_vit-b-incub_simplefpn_1x_coco.py',
    'mask-rcnn_vit-b-incub_simplefpn_lsj-1024-100e_coco.py',
])
def test_mask_rcnn_from_incubated_vit(config, incubated_vit, tmp_path):
    need(COCO10)
    work_dir = str(tmp_path / 'work')
    cfg_path = _detector_config(config, incubated_vit, work_dir)
    log = _run_tool('train.py', cfg_path)
    assert 'PlainViT: loaded all 54 backbone tensors' in log
    _assert_finite_losses(log, ['loss_rpn_cls', 'loss_cls', 'loss_bbox',
                                'loss_mask'])
    out_pkl = str(tmp_path / 'results.pkl')
    report = _run_tool('test.py', cfg_path, _last_checkpoint(work_dir),
                       '--work-dir', str(tmp_path / 'test'), '--out',
                       out_pkl, '--show-dir', 'vis')
    assert 'coco/bbox_mAP:' in report and 'coco/segm_mAP:' in report
    # --out: mmdet's compact dump (RLE masks, no ground truth)
    results = load(out_pkl)
    assert len(results) == 10
    masks = results[0]['pred_instances']['masks']
    assert masks and isinstance(masks[0], dict) and 'counts' in masks[0]
    assert 'gt_instances' not in results[0]
    assert glob.glob(str(tmp_path / 'test' / '*' / 'vis' / '*.jpg'))


def _segmentor_config(config: str, checkpoint: str, work_dir: str) -> str:
    cfg = Config.fromfile(osp.join(ROOT, 'configs/upernet', config))
    _cpu_settings(cfg, checkpoint, work_dir, iters=4)
    dims = TINY_ARCH['embed_dims']
    cfg.model.neck.update(in_channels=[dims] * 4, out_channels=dims)
    cfg.model.decode_head.update(in_channels=[dims] * 4, channels=32,
                                 norm_cfg=dict(type='BN', requires_grad=True))
    cfg.model.auxiliary_head.update(
        in_channels=dims, channels=16,
        norm_cfg=dict(type='BN', requires_grad=True))
    cfg.model.data_preprocessor.size = (128, 128)
    cfg.model.test_cfg = dict(mode='slide', crop_size=(128, 128),
                              stride=(96, 96))
    _shrink(cfg.train_dataloader.dataset.pipeline,
            dict(scale=(512, 128), crop_size=(128, 128)))
    for name in ('val_dataloader', 'test_dataloader'):
        _shrink(cfg[name].dataset.pipeline, dict(scale=(512, 128)))
        cfg[name].dataset.data_root = ADE_VAL3
    cfg.train_dataloader.dataset.data_root = ADE_TRAIN3
    cfg.tta_pipeline[1].transforms[0] = [
        dict(type='Resize', scale=(512, 128), keep_ratio=True)]
    path = osp.join(osp.dirname(work_dir), 'config.py')
    cfg.dump(path)
    return path


def test_upernet_from_incubated_vit(incubated_vit, tmp_path):
    need(ADE_VAL3)
    need(ADE_TRAIN3)
    work_dir = str(tmp_path / 'work')
    cfg_path = _segmentor_config(
        'upernet_vit-b-incub_mln_8xb2-80k_ade20k-512x512.py', incubated_vit,
        work_dir)
    log = _run_tool('train.py', cfg_path)
    assert 'PlainViT: loaded all 54 backbone tensors' in log
    _assert_finite_losses(log, ['decode.loss_ce', 'aux.loss_ce'])
    checkpoint = _last_checkpoint(work_dir)
    single = _run_tool('test.py', cfg_path, checkpoint, '--work-dir',
                       str(tmp_path / 'test'), '--out',
                       str(tmp_path / 'seg.pkl'))
    assert 'mIoU' in single and 'test metrics' in single
    # --out: label maps only (no (C, H, W) float logits, no ground truth)
    results = load(str(tmp_path / 'seg.pkl'))
    assert len(results) == 3
    assert 'seg_logits' not in results[0] and 'gt_sem_seg' not in results[0]
    pred = results[0]['pred_sem_seg']['data']
    assert pred.dtype == torch.uint8 and pred.shape[-2:] == tuple(
        results[0]['ori_shape'])
    report = _run_tool('test.py', cfg_path, checkpoint, '--work-dir',
                       str(tmp_path / 'tta'), '--tta')
    assert 'mIoU' in report
    # tools/dist_test.sh: 2 processes (gloo on CPU) give the same metrics
    proc = subprocess.run(
        ['bash', osp.join(ROOT, 'tools/dist_test.sh'), cfg_path, checkpoint,
         '2', '--work-dir', str(tmp_path / 'dist')],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PORT=str(random.randint(20000, 40000)),
                 OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert _metrics(proc.stdout + proc.stderr) == _metrics(single)
