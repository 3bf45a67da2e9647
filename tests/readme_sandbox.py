"""The sandbox the documented commands run in (tests/test_readme_commands.py).

A sandbox is a folder with the checkout's tools/, .venv/ and package linked,
a copy of configs/ in which the CPU-sized configs (digits, CIFAR-10) train
on a few images per epoch and every phase (or E2E schedule, or benchmark
arm) for at most ``SANDBOX_EPOCHS`` epochs, a benchmark for at most
``SANDBOX_SEEDS`` seeds, with names, phases and exports unchanged; and tiny
stand-ins for a user's downloads. The step-cost benchmark times
``SANDBOX_STEPS`` steps after as many warm-up steps (:func:`sandbox_argv`).
The shrunk configs are made once per test session and copied into every
sandbox (:func:`shrunk_configs`).
"""
import os
import os.path as osp
import re
import shutil
from typing import List

import pytest
import torch
from mmengine.config import Config

from tests.helpers import ROOT, digits_vit, release_checkpoint

# configs that train on CPU in the sandbox (on a few images per epoch)
CPU_CONFIG = re.compile(r'configs/.*(digits|cifar10(?!0)).*\.py$')
# the longest phase, E2E schedule or benchmark arm phase in the sandbox
SANDBOX_EPOCHS = 2
# the most seeds of a benchmark in the sandbox (two: the seeds' loop runs)
SANDBOX_SEEDS = 2
# timed (and warm-up) steps of a mode in the step-cost benchmark
SANDBOX_STEPS = 1
# images per epoch of the CPU configs' dataloaders in the sandbox
SANDBOX_IMAGES = (('train_dataloader', 16), ('val_dataloader', 16),
                  ('test_dataloader', 16))
# options of a tool that count steps, capped at SANDBOX_STEPS (added when
# the command leaves them at their defaults)
STEP_OPTIONS = {
    'analysis_tools/benchmark_incubation.py': ('--iters', '--warmup'),
}


def _shorten(stage: dict) -> None:
    for key in ('max_epochs', 'max_iters'):
        if key in stage:
            stage[key] = min(stage[key], SANDBOX_EPOCHS)


def shrink(path: str, out: str) -> None:
    """A CPU config with a few images per epoch and short phases (or a
    benchmark config with short arms), all else unchanged."""
    cfg = Config.fromfile(path)
    for name, count in SANDBOX_IMAGES:
        if cfg.get(name) is not None:
            cfg[name].dataset.indices = count
    train_cfg = cfg.get('train_cfg') or {}
    for stage in train_cfg.get('phases') or [train_cfg]:
        _shorten(stage)
    benchmark = cfg.get('benchmark') or {}
    if benchmark.get('seeds'):
        benchmark['seeds'] = benchmark['seeds'][:SANDBOX_SEEDS]
    arms = [*(benchmark.get('arms') or {}).values(), *benchmark.values()]
    for arm in arms:
        if isinstance(arm, dict) and 'cfg_options' in arm:
            options = arm['cfg_options']
            for key in [k for k in options if k.endswith('max_epochs')]:
                options[key] = min(options[key], SANDBOX_EPOCHS)
            for stage in options.get('train_cfg.phases') or []:
                _shorten(stage)
    cfg.dump(out)


def shrunk_configs(root: str) -> str:
    """``root/configs``: a copy of the checkout's configs/ with the CPU
    configs shrunk (made once; ``root`` is shared by the test session's
    workers, the first to come makes it under a lock)."""
    from filelock import FileLock
    configs = osp.join(root, 'configs')
    with FileLock(osp.join(root, 'configs.lock')):
        if osp.isdir(configs):
            return configs
        partial = configs + '.part'
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(osp.join(ROOT, 'configs'), partial)
        for dirpath, _, files in os.walk(osp.join(ROOT, 'configs')):
            for name in files:
                path = osp.join(dirpath, name)
                rel = osp.relpath(path, ROOT)
                if CPU_CONFIG.search(rel) and '_base_' not in rel:
                    shrink(path, osp.join(partial, osp.relpath(rel,
                                                               'configs')))
        os.replace(partial, configs)
    return configs


def _placeholder_files(sandbox: str) -> None:
    """Tiny stand-ins for a user's downloads: an official release file of
    the digits target, a timm ViT, an official release meta model."""
    pytest.importorskip('timm')
    torch.save(release_checkpoint(digits_vit(8, 0).state_dict(), [2] * 4),
               osp.join(sandbox, 'official.pth'))
    torch.save(digits_vit(8, 1).state_dict(),
               osp.join(sandbox, 'timm_vit.pth'))
    torch.save(release_checkpoint(digits_vit(4, 2).state_dict(), [1] * 4),
               osp.join(sandbox, 'meta_vit_b.pth'))


def make_sandbox(root: str, configs: str) -> str:
    """The checkout's tools/, .venv/ and package linked into ``root``,
    ``configs`` (:func:`shrunk_configs`) copied, the placeholder downloads
    made."""
    for name in ('tools', '.venv', 'mmincubate'):
        if osp.exists(osp.join(ROOT, name)):
            os.symlink(osp.join(ROOT, name), osp.join(root, name))
    shutil.copytree(configs, osp.join(root, 'configs'))
    _placeholder_files(root)
    return root


def sandbox_argv(tool: str, argv: List[str]) -> List[str]:
    """``argv`` of ``tools/<tool>`` with its step counts capped at
    ``SANDBOX_STEPS`` (:data:`STEP_OPTIONS`); other tools' as they are."""
    argv = list(argv)
    for option in STEP_OPTIONS.get(tool, ()):
        if option in argv:
            at = argv.index(option) + 1
            argv[at] = str(min(int(argv[at]), SANDBOX_STEPS))
        else:
            argv += [option, str(SANDBOX_STEPS)]
    return argv
