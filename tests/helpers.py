"""What the tests share: paths, the sample data, tiny model configs, short
runs of the shipped digits configs, and the project's tools called in this
process (``main(argv)``) or as real processes.

Test modules import from here, never from each other."""
import ast
import contextlib
import copy
import importlib.util
import io
import json
import os
import os.path as osp
import random
import re
import runpy
import sys
import tarfile
from typing import Dict, NamedTuple, Optional, Sequence

import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.join(osp.dirname(ROOT), 'shared', 'data')
CIFAR_TAR = osp.join(SHARED_DATA, 'cifar10', 'train.tar.gz')
COCO10 = osp.join(SHARED_DATA, 'coco_val2017_10')
ADE_VAL3 = osp.join(SHARED_DATA, 'ade20k_val3')
ADE_TRAIN3 = osp.join(SHARED_DATA, 'ade20k_train3_converted')

INCUBATE_DIGITS = osp.join(ROOT, 'configs/incubate/vit_tiny_k4_digits.py')
E2E_DIGITS = osp.join(ROOT, 'configs/e2e/vit_tiny_e2e_digits.py')
DIGITS_VAL_SIZE = 355

#: the tiny ViT of the transfer tests (patch 16, 32x32 images)
TINY_ARCH = dict(embed_dims=32, num_layers=4, num_heads=2,
                 feedforward_channels=64)


def need(path: str) -> None:
    """Skip the test when a sample of ``../shared/data`` is absent."""
    if not osp.exists(path):
        pytest.skip(f'{path} is absent (the shared sample data lives beside '
                    'the checkout in ../shared/data)')


# ------------------------------------------------------------ model configs
def tiny_target(depth=8, dims=32, heads=2, num_classes=10, img=8, patch=2,
                in_channels=1, **backbone) -> dict:
    """A tiny mmpretrain ViT classifier config."""
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='VisionTransformer',
            arch=dict(embed_dims=dims, num_layers=depth, num_heads=heads,
                      feedforward_channels=dims * 2),
            img_size=img, patch_size=patch, in_channels=in_channels,
            **backbone),
        head=dict(type='VisionTransformerClsHead', num_classes=num_classes,
                  in_channels=dims),
        data_preprocessor=dict(num_classes=num_classes, mean=[127.5],
                               std=[127.5], to_rgb=False))


def random_batch(n: int = 6, seed: int = 1) -> tuple:
    """``n`` random 8x8 one-channel images and data samples with labels
    0, 1, ..., for the models of :func:`tiny_target`."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 1, 8, 8, generator=g)
    samples = [DataSample().set_gt_label(int(i) % 10) for i in range(n)]
    return inputs, samples


def short_cfg(work_dir, phases=None, *, config: str = INCUBATE_DIGITS,
              target: Optional[dict] = None, batch_size: int = 32,
              scheduler: str = 'cosine', checkpoint_interval: int = 1000,
              max_keep_ckpts: int = -1, val_images: Optional[int] = None,
              **model):
    """A shipped digits config (or ``config``) with iteration-long phases.

    ``phases``: the IncubationLoop schedule (an incubation config) or the
    number of iterations (an E2E config). ``target``: another classifier
    than the config's (e.g. :func:`tiny_target`); ``model``: more
    ``DeepIncubation`` or ``LocalLearning`` arguments. Iteration-based
    cosine (or constant) lr, a checkpoint every ``checkpoint_interval``
    iterations, local logs only.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    incubation = cfg.train_cfg.get('type') == 'IncubationLoop'
    if incubation:
        if target is not None:
            cfg.model.target = target
        cfg.model.update(model)
    elif target is not None:
        cfg.model = target
    if phases is not None:
        if incubation:
            cfg.train_cfg = dict(type='IncubationLoop',
                                 phases=copy.deepcopy(phases))
        else:
            cfg.train_cfg = dict(by_epoch=False, max_iters=phases,
                                 val_interval=3)
    cfg.train_dataloader.batch_size = batch_size
    cfg.param_scheduler = [
        dict(type='CosineAnnealingLR', by_epoch=False, eta_min=1e-5)
        if scheduler == 'cosine' else
        dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=checkpoint_interval,
        max_keep_ckpts=max_keep_ckpts)
    if val_images is not None:
        cfg.val_dataloader.dataset.indices = val_images
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = osp.basename(str(work_dir))
    return cfg


#: the shared run's schedule: 30 iterations, validations inside every phase
SHARED_PHASES = [
    dict(phase='meta', max_iters=12, val_interval=6),
    dict(phase='incubate', max_iters=10, drop_path_rate=0.1, val_interval=5),
    dict(phase='finetune', max_iters=8, drop_path_rate=0.1, val_interval=4,
         optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
]


#: 10 iterations in 4 stages (two modules one after the other, two
#: together), validated at stage ends only
SHORT_PHASES = [
    dict(phase='meta', max_iters=2, val_interval=10),
    dict(phase='incubate', max_iters=2, modules=[0, 1], mode='sequential',
         val_interval=10),
    dict(phase='incubate', max_iters=2, modules=[2, 3], val_interval=10),
    dict(phase='finetune', max_iters=2, val_interval=10),
]


def shared_run_cfg(work_dir, phases=SHARED_PHASES, **model):
    """The shipped digits incubation config (its model and data) with the
    shared run's short schedule: batch 64, a checkpoint every 5 iterations,
    all kept. Tests that rerun part of the shared run build on this."""
    cfg = short_cfg(work_dir, phases, batch_size=64, checkpoint_interval=5,
                    **model)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=5)
    return cfg


def session_root(tmp_path_factory) -> str:
    """A folder of this test session that its pytest-xdist workers share
    (what one makes under a lock, the others read)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get('PYTEST_XDIST_WORKER'):
        root = root.parent
    return str(root)


def train(cfg):
    """Train ``cfg`` with the project's runner; the runner and a copy of the
    final weights."""
    from mmincubate.engine.runners import ExactResumeRunner
    runner = ExactResumeRunner.from_cfg(cfg)
    runner.train()
    return runner, {k: v.clone() for k, v in runner.model.state_dict().items()}


def summary(work_dir) -> dict:
    with open(osp.join(str(work_dir), 'summary.json')) as f:
        return json.load(f)


def weights(path) -> dict:
    from mmincubate.utils import load_checkpoint_file
    return load_checkpoint_file(str(path))['state_dict']


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        assert torch.equal(value, b[key]), (
            f'{key} differs by {(value - b[key]).abs().max().item()}')


# -------------------------------------------------------------------- tools
def tool(*parts: str) -> str:
    return osp.join(ROOT, 'tools', *parts)


def load_tool(path: str):
    """``tools/<path>`` as a module (``test.py`` would clash with the
    standard library's package of that name)."""
    tools = tool()
    if tools not in sys.path:
        sys.path.insert(0, tools)  # tools/test.py imports tools/train.py
    name = 'mmincubate_tool_' + re.sub(r'\W', '_', path[:-3])
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, tool(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class ToolResult(NamedTuple):
    returncode: int
    output: str  # stdout and stderr together

    def tail(self, chars: int = 4000) -> str:
        return self.output[-chars:]


class _CallOutput(io.TextIOBase):
    """The stdout/stderr of in-process tool calls: writes go to the buffer
    of the call running now. mmengine keeps a logger per experiment name
    and its handler keeps the stream it was created with; two runs named in
    the same second share a logger, which must still write into the
    second call's output."""

    def __init__(self) -> None:
        super().__init__()
        self.target: Optional[io.StringIO] = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return (self.target or sys.__stdout__).write(text)

    def flush(self) -> None:
        (self.target or sys.__stdout__).flush()


_CALL_OUTPUT = _CallOutput()


def run_tool(path: str, *argv, cwd: Optional[str] = None) -> ToolResult:
    """``python tools/<path> argv`` in this process: its ``main(argv)`` (or
    the script as ``__main__``) with stdout and stderr captured, in ``cwd``,
    ``SystemExit`` as the exit status.
    Any other exception propagates (a traceback is a failure)."""
    argv = [str(a) for a in argv]
    out = io.StringIO()
    previous, previous_argv = os.getcwd(), sys.argv
    previous_target, _CALL_OUTPUT.target = _CALL_OUTPUT.target, out
    code = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(_CALL_OUTPUT), \
                contextlib.redirect_stderr(_CALL_OUTPUT):
            try:
                module = load_tool(path)
                if hasattr(module, 'main'):
                    status = module.main(argv)
                    # tools that return their exit status
                    code = status if isinstance(status, int) else 0
                else:  # a script without main(argv): run it as __main__
                    sys.argv = [tool(path)] + argv
                    runpy.run_path(tool(path), run_name='__main__')
            except SystemExit as exit_:
                if isinstance(exit_.code, str):
                    print(exit_.code, file=sys.stderr)
                    code = 1
                else:
                    code = exit_.code or 0
    finally:
        os.chdir(previous)
        sys.argv = previous_argv
        _CALL_OUTPUT.target = previous_target
    return ToolResult(code, out.getvalue())


def ok(result: ToolResult) -> str:
    assert result.returncode == 0, result.tail()
    return result.output


def free_port_env(**extra) -> Dict[str, str]:
    """This process's environment with a random rendezvous port, one
    thread per process."""
    return dict(os.environ, PORT=str(random.randint(20000, 40000)),
                OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', **extra)


def reported_metrics(result: ToolResult) -> dict:
    """The metrics tools/test.py reports (``test metrics: {...}``)."""
    found = re.findall(r'test metrics: (\{.*\})', result.output)
    assert result.returncode == 0 and found, result.tail()
    return ast.literal_eval(found[-1])


# ------------------------------------------------------- foreign checkpoints
def randomize(model: torch.nn.Module, seed: int = 0,
              norm_width: int = 64) -> torch.nn.Module:
    """Random weights of a visible scale; 1-d parameters of ``norm_width``
    (the norms) around 1."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
            if p.dim() == 1 and p.shape[0] == norm_width:
                p.add_(1.0)
    return model.eval()


def digits_vit(depth: int, seed: int):
    """A random timm ViT of the digits target's shape (width 64, 4 heads,
    MLP 128, 2x2 patches of 8x8 one-channel images) and ``depth``."""
    import timm
    model = timm.models.VisionTransformer(
        img_size=8, patch_size=2, in_chans=1, embed_dim=64, depth=depth,
        num_heads=4, mlp_ratio=2.0, num_classes=10)
    return randomize(model, seed=seed)


def release_checkpoint(state: dict, depths: Sequence[int]) -> dict:
    """The official release layout (see tests/test_converters.py): timm
    names plus ``stages.<module>.<local block>.*`` aliases under ``model``,
    each module's own weights (local block indices) in ``model_stages``,
    and training state the converter ignores."""
    bounds = np.cumsum(depths)
    model, stages = dict(state), [{} for _ in depths]
    for key, value in state.items():
        match = re.match(r'blocks\.(\d+)\.(.+)$', key)
        if match is None:
            owner = -1 if key.startswith(('norm.', 'head.')) else 0
            stages[owner][key] = value
            continue
        block = int(match.group(1))
        module = int(np.searchsorted(bounds, block, side='right'))
        local = block - (bounds[module - 1] if module else 0)
        stages[module][f'blocks.{local}.{match.group(2)}'] = value
        model[f'stages.{module}.{local}.{match.group(2)}'] = value
    return dict(model=model, model_stages=stages, epoch=99,
                optimizer=dict(state={}, param_groups=[dict(lr=1e-3)]),
                args=dict(model='vit_digits'))


# --------------------------------------------------------------- sample data
def extract_cifar_subset(dst: str, per_class: int = 8) -> None:
    """The first ``per_class`` images of every class of the shared CIFAR-10
    archive as ``dst/<class>/*.jpg``."""
    counts: Dict[str, int] = {}
    with tarfile.open(CIFAR_TAR) as tar:
        for member in tar:
            parts = member.name.split('/')
            if not member.isfile() or len(parts) != 3 or '..' in parts:
                continue
            cls = parts[1]
            if counts.get(cls, 0) >= per_class:
                continue
            counts[cls] = counts.get(cls, 0) + 1
            os.makedirs(osp.join(dst, cls), exist_ok=True)
            with open(osp.join(dst, cls, parts[2]), 'wb') as f:
                f.write(tar.extractfile(member).read())
            if len(counts) == 10 and all(v >= per_class
                                         for v in counts.values()):
                break


# ------------------------------------------------- transfer configs on a CPU
def _replace_sizes(obj, sizes: dict) -> None:
    """Replace image sizes inside pipelines / preprocessors, recursively."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in sizes:
                obj[key] = sizes[key]
            else:
                _replace_sizes(value, sizes)
    elif isinstance(obj, list):
        for item in obj:
            _replace_sizes(item, sizes)


def _cpu_settings(cfg, checkpoint: str, work_dir: str, iters: int) -> None:
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


def detector_config(config: str, checkpoint: str, work_dir: str) -> str:
    """A shipped Mask R-CNN config (``configs/mask_rcnn/<config>``) with the
    tiny ViT, small images, CPU settings and the 10 COCO val images,
    written beside ``work_dir``; its path."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, 'configs/mask_rcnn', config))
    _cpu_settings(cfg, checkpoint, work_dir, iters=4)
    cfg.model.neck.in_channels = TINY_ARCH['embed_dims']
    # few proposals (CPU time); keep every detection of the barely trained
    # model so that the COCO metrics have something to score
    cfg.model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
    cfg.model.train_cfg.rcnn.sampler.num = 64
    cfg.model.test_cfg.rpn.update(nms_pre=100, max_per_img=50)
    cfg.model.test_cfg.rcnn.update(score_thr=0.0, max_per_img=10)
    _replace_sizes(cfg.train_dataloader.dataset.pipeline,
                   dict(scales=[(320, 192), (320, 224)], scale=(256, 256),
                        crop_size=(256, 256)))
    for name in ('val_dataloader', 'test_dataloader'):
        _replace_sizes(cfg[name].dataset.pipeline,
                       dict(scale=(320, 224), size=(256, 256)))
    _replace_sizes(cfg.model.data_preprocessor, dict(size=(256, 256)))
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


def segmentor_config(config: str, checkpoint: str, work_dir: str) -> str:
    """A shipped UperNet config (``configs/upernet/<config>``) with the tiny
    ViT, 128-pixel crops, CPU settings and the ADE20K samples, written
    beside ``work_dir``; its path."""
    from mmengine.config import Config
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
    _replace_sizes(cfg.train_dataloader.dataset.pipeline,
                   dict(scale=(512, 128), crop_size=(128, 128)))
    for name in ('val_dataloader', 'test_dataloader'):
        _replace_sizes(cfg[name].dataset.pipeline, dict(scale=(512, 128)))
        cfg[name].dataset.data_root = ADE_VAL3
    cfg.train_dataloader.dataset.data_root = ADE_TRAIN3
    cfg.tta_pipeline[1].transforms[0] = [
        dict(type='Resize', scale=(512, 128), keep_ratio=True)]
    path = osp.join(osp.dirname(work_dir), 'config.py')
    cfg.dump(path)
    return path
