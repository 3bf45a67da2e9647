"""A tiny 3-channel ViT (patch 16) trained by the whole incubation pipeline
(meta -> incubate -> finetune) on real CIFAR-10 images; its ``final.pth`` is
what the transfer tests load into Mask R-CNN and UperNet."""
import os
import os.path as osp
import tarfile

import pytest

from tests.conftest import SHARED_DATA, tiny_target

CIFAR_TAR = osp.join(SHARED_DATA, 'cifar10', 'train.tar.gz')
COCO10 = osp.join(SHARED_DATA, 'coco_val2017_10')
ADE_VAL3 = osp.join(SHARED_DATA, 'ade20k_val3')
ADE_TRAIN3 = osp.join(SHARED_DATA, 'ade20k_train3_converted')

TINY_ARCH = dict(embed_dims=32, num_layers=4, num_heads=2,
                 feedforward_channels=64)


def need(path: str) -> None:
    if not osp.exists(path):
        pytest.skip(f'{path} is absent (the shared sample data lives beside '
                    'the checkout in ../shared/data)')


def _extract_cifar_subset(dst: str, per_class: int = 8) -> None:
    counts = {}
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


@pytest.fixture(scope='session')
def incubated_vit(tmp_path_factory) -> str:
    """``final.pth`` of a real (tiny) incubation run: K=2, patch 16, 32x32."""
    need(CIFAR_TAR)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmincubate.engine.runners import SafeCheckpointRunner
    init_default_scope('mmincubate')
    root = tmp_path_factory.mktemp('incubated_vit')
    data = str(root / 'cifar')
    _extract_cifar_subset(data)
    target = tiny_target(depth=4, dims=32, img=32, patch=16, in_channels=3)
    target['data_preprocessor'] = dict(
        num_classes=10, mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7],
        to_rgb=True)
    loader = dict(
        batch_size=16, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(type='CustomDataset', data_root=data, pipeline=[
            dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
    cfg = Config(dict(
        default_scope='mmincubate',
        work_dir=str(root / 'work'),
        model=dict(type='DeepIncubation', target=target, num_modules=2),
        train_dataloader=loader,
        val_dataloader=loader,
        val_evaluator=dict(type='Accuracy', topk=(1, )),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        train_cfg=dict(type='IncubationLoop', phases=[
            dict(phase='meta', max_iters=2, val_interval=2),
            dict(phase='incubate', max_iters=2, val_interval=2),
            dict(phase='finetune', max_iters=2, val_interval=2)]),
        custom_hooks=[dict(type='IncubationHook')],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=100)),
        randomness=dict(seed=0)))
    SafeCheckpointRunner.from_cfg(cfg).train()
    final = str(root / 'work' / 'final.pth')
    assert osp.isfile(final)
    return final
