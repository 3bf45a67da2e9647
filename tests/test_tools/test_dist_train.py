"""tools/dist_train.sh with 2 CPU processes (gloo), then --resume."""
import os
import os.path as osp
import random
import subprocess
import sys

import pytest
import torch

from mmincubate.utils import load_checkpoint_file
from tests.conftest import ROOT

CONFIG = '''
_base_ = [{base!r}]
train_cfg = dict(
    _delete_=True, type='IncubationLoop',
    phases=[dict(phase='meta', max_iters=6, val_interval=6),
            dict(phase='incubate', max_iters=6, drop_path_rate=0.1,
                 val_interval=6),
            dict(phase='finetune', max_iters=6, drop_path_rate=0.1,
                 val_interval=6)])
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False,
                        eta_min=1e-5)]
train_dataloader = dict(batch_size=32)
default_hooks = dict(
    logger=dict(interval=3),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=3,
                    max_keep_ckpts=10))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
'''


def dist_train(config, work_dir, *extra):
    env = dict(os.environ, PYTHON=sys.executable,
               PORT=str(random.randint(20000, 40000)), OMP_NUM_THREADS='1')
    return subprocess.run(
        ['bash', osp.join(ROOT, 'tools/dist_train.sh'), str(config), '2',
         '--work-dir', str(work_dir), *extra],
        env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_dist_train_two_cpu_processes_and_resume(tmp_path):
    config = tmp_path / 'tiny.py'
    config.write_text(CONFIG.format(
        base=osp.join(ROOT, 'configs/incubate/vit_tiny_k4_digits.py')))
    work_dir = tmp_path / 'work'
    result = dist_train(config, work_dir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    for name in ('meta.pth', 'assembled.pth', 'final.pth', 'iter_18.pth'):
        assert osp.isfile(work_dir / name), name
    final = load_checkpoint_file(str(work_dir / 'final.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in final.values())

    # drop the end of the run, resume from the checkpoint inside incubation
    for name in ('iter_15.pth', 'iter_18.pth', 'final.pth'):
        os.remove(work_dir / name)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_9.pth'))
    result = dist_train(config, work_dir, '--resume')
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    log = result.stdout + result.stderr
    assert 'resumed epoch' in log and 'iter: 9' in log
    assert osp.isfile(work_dir / 'iter_18.pth')
    assert osp.isfile(work_dir / 'final.pth')
