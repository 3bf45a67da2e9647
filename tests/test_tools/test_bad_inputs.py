"""Bad input to the tools: every case an error that names the problem and
the fix, in one paragraph printed last, with nothing new in the work_dir.

The checkpoints of each kind are built here (a module, the meta model, the
targets, an incubation training checkpoint) from the shipped digits model,
without training."""
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmincubate.models.assembly import classifier_checkpoint, module_checkpoint
from tests.helpers import E2E_DIGITS, INCUBATE_DIGITS, ROOT, run_tool


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """One file of every kind a user could pass by mistake."""
    from mmengine.registry import init_default_scope

    from mmincubate.registry import MODELS
    init_default_scope('mmincubate')
    root = tmp_path_factory.mktemp('files')
    model = MODELS.build(Config.fromfile(INCUBATE_DIGITS).model)
    torch.save(module_checkpoint(model, 1), root / 'module_1.pth')
    torch.save(classifier_checkpoint(model.meta.state_dict(), role='meta'),
               root / 'meta.pth')
    torch.save(classifier_checkpoint(model.target.state_dict(), role='final'),
               root / 'final.pth')
    torch.save(dict(state_dict=model.state_dict(), message_hub={},
                    meta=dict(epoch=1, iter=10),
                    random_states=[dict(numpy=np.zeros(3))]),
               root / 'epoch_1.pth')
    (root / 'truncated.pth').write_bytes(
        (root / 'meta.pth').read_bytes()[:300])
    (root / 'text.pth').write_text('weights are in the other folder\n')
    (root / 'json.pth').write_text('{"state_dict": {}}')
    (root / 'bytes.pth').write_bytes(bytes(range(7, 200)))
    return root


def refused(result, work_dir, *names):
    """The tool failed with one ``error:`` paragraph, printed last, naming
    every one of ``names``, and left ``work_dir`` as it was (absent)."""
    assert result.returncode not in (0, None), result.tail(2000)
    last = result.output.strip().splitlines()[-1]
    # ``error: ...``, or argparse's ``<prog>: error: ...``
    assert re.match(r'(\S+: )?error: ', last), result.tail(2000)
    for name in names:
        assert name in last, last
    assert not osp.exists(work_dir), os.listdir(work_dir)
    return last


def train(work_dir, *args, config=INCUBATE_DIGITS):
    return run_tool('train.py', config, '--work-dir', work_dir, *args)


@pytest.mark.parametrize('dry_run', [False, True])
@pytest.mark.parametrize('option, names', [
    ('model.num_modules=5',
     ['num_modules=5 does not divide the target depth 8', 'module_depths']),
    ('train_cfg.phases.0.phase=metaa',
     ["train_cfg.phases.0: unknown phase 'metaa'",
      'meta, incubate, finetune']),
    ('train_cfg.phases.2.phase=finetun',
     ["train_cfg.phases.2: unknown phase 'finetun'"]),
    ('train_cfg.phases.1.modules=[0,5]',
     ['train_cfg.phases.1 (incubate) modules=[0, 5]',
      'module 5 does not exist', '4 modules']),
    ('train_cfg.phases.0.max_epochs=__import__("os").getcwd()',
     ['train_cfg.phases.0.max_epochs', 'is a call', 'never evaluated']),
])
def test_config_errors_before_anything_is_built(tmp_path, option, names,
                                                dry_run):
    extra = ['--dry-run'] if dry_run else []
    refused(train(tmp_path / 'w', '--cfg-options', option, *extra),
            tmp_path / 'w', *names)


@pytest.mark.parametrize('name, looks', [
    ('text.pth', "it is text, starting 'weights are"),
    ('json.pth', 'it holds JSON'),
    ('bytes.pth', 'it starts with the bytes'),
])
def test_files_that_are_not_checkpoints(files, tmp_path, name, looks):
    path = str(files / name)
    for result, key in [
        (train(tmp_path / 'w', '--phases', 'incubate,finetune',
               '--cfg-options', f'model.meta_checkpoint={path}'),
         'model.meta_checkpoint: '),
        (train(tmp_path / 'w', '--resume', path), '--resume: '),
        (run_tool('test.py', E2E_DIGITS, path, '--work-dir', tmp_path / 'w'),
         'CHECKPOINT: '),
    ]:
        refused(result, tmp_path / 'w', key + f'"{path}"',
                'is not a PyTorch checkpoint', looks, 'torch.save')
    result = run_tool('assemble.py', path, '--out', tmp_path / 'w')
    refused(result, tmp_path / 'w', 'is not a PyTorch checkpoint', looks)


def test_a_truncated_checkpoint(files, tmp_path):
    path = files / 'truncated.pth'
    refused(train(tmp_path / 'w', '--phases', 'incubate,finetune',
                  '--cfg-options', f'model.meta_checkpoint={path}'),
            tmp_path / 'w', f'model.meta_checkpoint: "{path}" is not a '
            'readable torch checkpoint', 'truncated or corrupt')


def test_a_module_checkpoint_where_a_model_belongs(files, tmp_path):
    module = str(files / 'module_1.pth')
    where = tmp_path / 'w'
    refused(train(where, '--phases', 'incubate,finetune', '--cfg-options',
                  f'model.meta_checkpoint={module}'), where,
            'model.meta_checkpoint: ', 'module 1 (of 4)', 'meta.pth')
    for result in [
            train(where, '--phases', 'finetune', '--cfg-options',
                  f'model.target_checkpoint={module}'),
            train(where, '--cfg-options', f'load_from={module}',
                  config=E2E_DIGITS),
            run_tool('test.py', E2E_DIGITS, module, '--work-dir', where)]:
        refused(result, where, 'module 1 (of 4)', 'not a whole model',
                'python tools/assemble.py')


def test_kinds_that_do_not_fit_are_named_as_they_load(files, tmp_path):
    """Found only when the runner fits the weights (after its setup
    output): still one paragraph, printed last, and no ``<timestamp>/``."""
    where = tmp_path / 'w'
    refused(train(where, '--phases', 'finetune', '--cfg-options',
                  f'model.target_checkpoint={files / "meta.pth"}'), where,
            'is the meta model', 'assembled.pth or final.pth')
    refused(train(where, '--phases', 'incubate,finetune', '--cfg-options',
                  f'model.meta_checkpoint={files / "final.pth"}'), where,
            'is the final target', 'not a meta model', 'meta.pth')
    refused(run_tool('test.py', E2E_DIGITS, files / 'epoch_1.pth',
                     '--work-dir', where), where,
            'training checkpoint of an incubation run',
            'assembled.pth or final.pth')


def test_converter_names_its_option_for_a_training_checkpoint(files,
                                                              tmp_path):
    result = run_tool('model_converters/mmincubate_to_timm.py',
                      files / 'epoch_1.pth', tmp_path / 'w' / 'timm.pth')
    last = refused(result, tmp_path / 'w', 'training checkpoint written by '
                   'mmengine', 'add --trust-mmengine')
    assert 'arbitrary code' not in last


def test_a_named_resume_that_is_missing(tmp_path):
    refused(train(tmp_path / 'w', '--resume', tmp_path / 'nope.pth'),
            tmp_path / 'w', f'--resume: "{tmp_path / "nope.pth"}" does not '
            'exist')


def test_the_shipped_config_passes_the_checks(tmp_path):
    """The checks refuse bad input, not the configs that work."""
    result = train(tmp_path / 'w', '--dry-run')
    assert result.returncode == 0, result.tail(2000)
    assert 'phase 2: finetune' in result.output
    assert not (tmp_path / 'w').exists()


def test_data_that_is_not_there(tmp_path):
    cifar = osp.join(ROOT, 'configs/e2e/vit_tiny_e2e_cifar10.py')
    missing = tmp_path / 'no_cifar'
    refused(train(tmp_path / 'w', '--cfg-options',
                  f'train_dataloader.dataset.data_root={missing}',
                  f'val_dataloader.dataset.data_root={missing}',
                  config=cifar), tmp_path / 'w',
            f'train_dataloader.dataset.data_root: "{missing}" does not exist',
            '--cfg-options train_dataloader.dataset.data_root=DIR')
    (missing / 'train').mkdir(parents=True)
    refused(train(tmp_path / 'w', '--cfg-options',
                  f'train_dataloader.dataset.data_root={missing}',
                  f'val_dataloader.dataset.data_root={missing}',
                  config=cifar), tmp_path / 'w',
            f'val_dataloader.dataset.data_prefix: "{missing}/val" does not')
    refused(run_tool('test.py', cifar, weights_file(tmp_path), '--work-dir',
                     tmp_path / 'w', '--cfg-options',
                     f'test_dataloader.dataset.data_root={missing}'),
            tmp_path / 'w', 'test_dataloader.dataset.data_prefix')


def weights_file(tmp_path):
    """A checkpoint file that passes the checks before the data's."""
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': {}}, path)
    return path
