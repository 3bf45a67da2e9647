"""From an incubation checkpoint to a tools/test.py report on real data:
Mask R-CNN (1333x800 multi-scale and LSJ families) on 10 COCO val2017
images, UperNet on the ADE20K samples. The shipped ViT-B configs are used
with the width and depth shrunk to the tiny incubated ViT, smaller images
and CPU settings (no AMP, no SyncBN)."""
import glob
import math
import os.path as osp
import re
import subprocess

import pytest
import torch
from mmengine.fileio import load

from tests.helpers import (ADE_TRAIN3, ADE_VAL3, COCO10, ROOT,
                           detector_config, free_port_env, need, ok,
                           run_tool, segmentor_config)

pytestmark = pytest.mark.slow(seconds=40)


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


@pytest.mark.parametrize('config', [
    'mask-rcnn_vit-b-incub_simplefpn_1x_coco.py',
    'mask-rcnn_vit-b-incub_simplefpn_lsj-1024-100e_coco.py',
])
def test_mask_rcnn_from_incubated_vit(config, incubated_vit, tmp_path):
    need(COCO10)
    work_dir = str(tmp_path / 'work')
    cfg_path = detector_config(config, incubated_vit, work_dir)
    log = ok(run_tool('train.py', cfg_path))
    assert 'PlainViT: loaded all 54 backbone tensors' in log
    _assert_finite_losses(log, ['loss_rpn_cls', 'loss_cls', 'loss_bbox',
                                'loss_mask'])
    out_pkl = str(tmp_path / 'results.pkl')
    report = ok(run_tool('test.py', cfg_path, _last_checkpoint(work_dir),
                         '--work-dir', str(tmp_path / 'test'), '--out',
                         out_pkl, '--show-dir', 'vis'))
    assert 'coco/bbox_mAP:' in report and 'coco/segm_mAP:' in report
    # --out: mmdet's compact dump (RLE masks, no ground truth)
    results = load(out_pkl)
    assert len(results) == 10
    masks = results[0]['pred_instances']['masks']
    assert masks and isinstance(masks[0], dict) and 'counts' in masks[0]
    assert 'gt_instances' not in results[0]
    assert glob.glob(str(tmp_path / 'test' / '*' / 'vis' / '*.jpg'))


def test_upernet_from_incubated_vit(incubated_vit, tmp_path):
    need(ADE_VAL3)
    need(ADE_TRAIN3)
    work_dir = str(tmp_path / 'work')
    cfg_path = segmentor_config(
        'upernet_vit-b-incub_mln_8xb2-80k_ade20k-512x512.py', incubated_vit,
        work_dir)
    log = ok(run_tool('train.py', cfg_path))
    assert 'PlainViT: loaded all 54 backbone tensors' in log
    _assert_finite_losses(log, ['decode.loss_ce', 'aux.loss_ce'])
    checkpoint = _last_checkpoint(work_dir)
    single = ok(run_tool('test.py', cfg_path, checkpoint, '--work-dir',
                         str(tmp_path / 'test'), '--out',
                         str(tmp_path / 'seg.pkl')))
    assert 'mIoU' in single and 'test metrics' in single
    # --out: label maps only (no (C, H, W) float logits, no ground truth)
    results = load(str(tmp_path / 'seg.pkl'))
    assert len(results) == 3
    assert 'seg_logits' not in results[0] and 'gt_sem_seg' not in results[0]
    pred = results[0]['pred_sem_seg']['data']
    assert pred.dtype == torch.uint8 and pred.shape[-2:] == tuple(
        results[0]['ori_shape'])
    report = ok(run_tool('test.py', cfg_path, checkpoint, '--work-dir',
                         str(tmp_path / 'tta'), '--tta'))
    assert 'mIoU' in report
    # tools/dist_test.sh: 2 processes (gloo on CPU) give the same metrics
    proc = subprocess.run(
        ['bash', osp.join(ROOT, 'tools/dist_test.sh'), cfg_path, checkpoint,
         '2', '--work-dir', str(tmp_path / 'dist')],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=free_port_env())
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert _metrics(proc.stdout + proc.stderr) == _metrics(single)
