"""The separate-machine workflow from the shell: --phases/--modules, and
tools/slurm_incubate.sh (against stand-in sbatch/srun) gives bitwise the
weights of the same schedule in one job. (tools/dist_incubate.sh gets the
same check in the README test, on its README command's outputs.)"""
import json
import os.path as osp
import subprocess

import pytest

from tests.helpers import (INCUBATE_DIGITS, ROOT, assert_same_weights,
                           free_port_env, ok, run_tool, weights)

CONFIG = INCUBATE_DIGITS
# one epoch per phase of 128 images (2 iterations); sequential in the
# one-job reference: separate jobs train one module each, with its own
# optimizer and stream
SHORT = ['train_cfg.phases.0.max_epochs=1', 'train_cfg.phases.1.max_epochs=1',
         'train_cfg.phases.2.max_epochs=1',
         'train_cfg.phases.1.val_interval=1',
         'train_dataloader.dataset.indices=128']
STANDIN = osp.join(osp.dirname(__file__), 'slurm_standin')


def _assert_same(a, b):
    assert_same_weights(weights(a), weights(b))


@pytest.fixture(scope='module')
def one_job(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('one_job')
    ok(run_tool('train.py', CONFIG, '--work-dir', work_dir, '--cfg-options',
                *SHORT, 'train_cfg.phases.1.mode=sequential'))
    return work_dir


@pytest.mark.parametrize('args, message', [
    (['--phases', 'pretrain'], "unknown phase 'pretrain'"),
    (['--phases', 'incubate', '--modules', '4'], 'module 4 does not exist'),
    (['--phases', 'incubate'], 'model.meta_checkpoint'),
    (['--phases', 'finetune'], 'model.target_checkpoint'),
    (['--phases', 'meta', '--modules', '1'], 'takes modules (incubate)'),
    (['--cfg-options', 'model.x=dict(a=os)'], 'only literals'),
])
def test_bad_command_lines_fail_before_writing(tmp_path, args, message):
    work_dir = tmp_path / 'never'
    result = run_tool('train.py', CONFIG, '--work-dir', work_dir, *args)
    assert result.returncode != 0
    assert message in result.output, result.tail(2000)
    assert not work_dir.exists()


def test_phases_on_a_plain_config_is_an_error(tmp_path):
    result = run_tool('train.py',
                      osp.join(ROOT, 'configs/e2e/vit_tiny_e2e_digits.py'),
                      '--work-dir', tmp_path / 'never', '--phases', 'meta')
    assert result.returncode != 0 and 'IncubationLoop' in result.output
    assert not (tmp_path / 'never').exists()


def test_dry_run_resolves_the_schedule(tmp_path):
    result = run_tool(
        'train.py', CONFIG, '--work-dir', tmp_path / 'w', '--dry-run',
        '--phases', 'incubate,finetune', '--modules', '0,1,2,3',
        '--cfg-options', 'model.meta_checkpoint=meta.pth',
        'train_cfg.phases.1.max_epochs=3', 'train_cfg.phases.2.max_epochs=7',
        'train_cfg.phases.2.optim_wrapper=dict(optimizer=dict(lr=1e-4))')
    out = ok(result)
    assert 'phase 0: incubate (max_epochs=3' in out
    assert 'modules=[0, 1, 2, 3]' in out
    assert 'phase 1: finetune (max_epochs=7' in out
    assert "'optimizer': {'lr': 0.0001}" in out.split('phase 1: finetune')[1]
    assert not (tmp_path / 'w').exists()


@pytest.mark.slow(seconds=85)
def test_slurm_incubate_with_standin_sbatch(one_job, tmp_path):
    root, log = tmp_path / 'slurm', tmp_path / 'calls.jsonl'
    env = free_port_env(WORK_ROOT=str(root), STANDIN_SLURM_LOG=str(log),
                        SBATCH_ARGS='--time=1:00:00')
    env['PATH'] = f'{STANDIN}:{env["PATH"]}'
    proc = subprocess.run(
        ['bash', osp.join(ROOT, 'tools/slurm_incubate.sh'), 'gpu_part',
         CONFIG, '1', '--cfg-options', *SHORT], cwd=str(tmp_path),
        capture_output=True, text=True, timeout=1200, env=env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    jobs = [c for c in calls if c['tool'] == 'sbatch']
    assert [j['rc'] for j in jobs] == [0, 0, 0]
    meta, modules, final = (j['opts'] for j in jobs)
    ids = [j['id'] for j in jobs]
    assert 'dependency' not in meta and 'array' not in meta
    assert modules['array'] == '0-3'
    assert modules['dependency'] == f'afterok:{ids[0]}'
    assert final['dependency'] == f'afterok:{ids[1]}'
    for opts in (meta, modules, final):
        assert opts['p'] == 'gpu_part' and opts['ntasks'] == '1'
        assert opts['gres'] == 'gpu:1' and opts['time'] == '1:00:00'
    assert '--phases meta' in meta['wrap']
    assert '--modules ${SLURM_ARRAY_TASK_ID}' in modules['wrap']
    assert f'model.meta_checkpoint={root}/meta/meta.pth' in modules['wrap']
    assert 'tools/assemble.py' in final['wrap']
    assert '--phases finetune' in final['wrap']
    assert f'model.target_checkpoint={root}/assembled.pth' in final['wrap']
    for ids_printed in ids:
        assert ids_printed in proc.stdout
    # every training step went through srun with the slurm launcher
    sruns = [c for c in calls if c['tool'] == 'srun']
    assert len(sruns) == 6 and all(c['rc'] == 0 for c in sruns)
    assert all('--launcher=slurm' in c['argv'] for c in sruns)
    assert sorted(c['env']['SLURM_ARRAY_TASK_ID'] for c in sruns
                  if c['env']['SLURM_ARRAY_TASK_ID']) == ['0', '1', '2', '3']
    _assert_same(one_job / 'assembled.pth', root / 'assembled.pth')
    _assert_same(one_job / 'final.pth', root / 'finetune/final.pth')
