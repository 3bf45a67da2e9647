"""``--resume`` in the situations a user gets into: a copied work_dir, a
changed schedule, an empty work_dir (copies of the session's shared digits
run, resumed at its end: nothing but the last stage's end runs again)."""
import glob
import os.path as osp
import shutil

import pytest

from tests.helpers import E2E_DIGITS, run_tool

CONFIG_NAME = 'vit_tiny_k4_digits.py'  # the shared run's config copy


@pytest.fixture
def copied_run(digits_run, tmp_path):
    """A copy of the shared run's work_dir (its ``last_checkpoint`` still
    names the original's file), without its log folders."""
    copy = tmp_path / 'copy'
    shutil.copytree(digits_run.work_dir, copy,
                    ignore=shutil.ignore_patterns('2*_*', 'state.pth'))
    return copy


def log_dirs(work_dir):
    return sorted(p for p in glob.glob(osp.join(str(work_dir), '2*_*'))
                  if osp.isdir(p))


def test_a_copied_work_dir_resumes_its_own_checkpoint(digits_run, copied_run,
                                                      monkeypatch):
    from mmincubate.engine.runners import resume_checkpoint
    warned = []
    monkeypatch.setattr(resume_checkpoint, '_warn', warned.append)
    original = osp.join(digits_run.work_dir, 'iter_30.pth')
    with open(copied_run / 'last_checkpoint') as f:
        assert f.read().strip() == original
    result = run_tool('train.py', copied_run / CONFIG_NAME, '--work-dir',
                      copied_run, '--resume')
    assert result.returncode == 0, result.tail(3000)
    own = str(copied_run / 'iter_30.pth')
    assert f'Resuming from {own}' in result.output
    assert f'Resuming from {original}' not in result.output
    assert len(warned) == 1 and 'outside this work_dir' in warned[0]
    # named, a checkpoint elsewhere is what the user asked for
    result = run_tool('train.py', copied_run / CONFIG_NAME, '--work-dir',
                      copied_run, '--resume', original)
    assert result.returncode == 0, result.tail(3000)
    assert f'Resuming from {original}' in result.output


def test_a_refused_resume_writes_nothing(copied_run):
    config = copied_run / CONFIG_NAME
    before = config.read_text()
    result = run_tool('train.py', config, '--work-dir', copied_run,
                      '--resume', '--cfg-options',
                      'train_cfg.phases.2.max_iters=9')
    assert result.returncode == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith('error: --resume: ')
    for name in ['another incubation schedule', "['finetune', [], 8, "
                 "'iters']", "['finetune', [], 9, 'iters']", '--work-dir']:
        assert name in last, last
    assert config.read_text() == before
    assert log_dirs(copied_run) == []


def test_resume_in_an_empty_work_dir_says_so(tmp_path):
    work_dir = tmp_path / 'empty'
    work_dir.mkdir()
    result = run_tool('train.py', E2E_DIGITS, '--work-dir', work_dir,
                      '--resume', '--cfg-options', 'train_cfg.max_epochs=1',
                      'train_dataloader.dataset.indices=64',
                      'train_cfg.val_interval=5')
    assert result.returncode == 0, result.tail(3000)
    assert (f'--resume: the work_dir {work_dir} holds no checkpoint to '
            'resume from') in result.output
    assert 'training starts from scratch' in result.output
    assert osp.isfile(work_dir / 'epoch_1.pth')
