import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.join(osp.dirname(ROOT), 'shared', 'data')
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def tiny_target(depth=8, dims=32, heads=2, num_classes=10, img=8, patch=2,
                in_channels=1, **backbone):
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


@pytest.fixture(autouse=True)
def _mmincubate_scope():
    from mmengine.registry import init_default_scope
    init_default_scope('mmincubate')
    yield
