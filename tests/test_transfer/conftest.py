"""A tiny 3-channel ViT (patch 16) trained by the whole incubation pipeline
(meta -> incubate -> finetune) on real CIFAR-10 images; its ``final.pth`` is
what the transfer tests load into Mask R-CNN and UperNet."""
import os.path as osp

import pytest

from tests.helpers import CIFAR_TAR, extract_cifar_subset, need, tiny_target


@pytest.fixture(scope='session')
def incubated_vit(tmp_path_factory) -> str:
    """``final.pth`` of a real (tiny) incubation run: K=2, patch 16, 32x32."""
    need(CIFAR_TAR)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmincubate.engine.runners import ExactResumeRunner
    init_default_scope('mmincubate')
    root = tmp_path_factory.mktemp('incubated_vit')
    data = str(root / 'cifar')
    extract_cifar_subset(data)
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
    ExactResumeRunner.from_cfg(cfg).train()
    final = str(root / 'work' / 'final.pth')
    assert osp.isfile(final)
    return final
