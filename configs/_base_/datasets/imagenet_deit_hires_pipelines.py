# ImageNet-1k pipelines for high-resolution fine-tuning at 384 px (ViT-B/L)
# and 392 px (ViT-H, patch 14: 28 x 28 tokens), DeiT's recipe (DeiT
# fine-tunes at 384 with its 224 augmentations): bicubic RandomResizedCrop,
# flip, RandAugment m9 mstd0.5, random erasing 0.25; eval: resize the short
# side to size x 256/224 (438 / 448), center crop. Only new names here, so a
# config can list this file beside a full config in `_base_` and use them
# (imagenet_deit_hires.py does).
_bgr_mean = [103.53, 116.28, 123.675]
_bgr_std = [57.375, 57.12, 58.395]


def _train(size):
    return [
        dict(type='LoadImageFromFile'),
        dict(type='RandomResizedCrop', scale=size, backend='pillow',
             interpolation='bicubic'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='RandAugment', policies='timm_increasing', num_policies=2,
             total_level=10, magnitude_level=9, magnitude_std=0.5,
             hparams=dict(pad_val=[round(x) for x in _bgr_mean],
                          interpolation='bicubic')),
        dict(type='RandomErasing', erase_prob=0.25, mode='rand',
             min_area_ratio=0.02, max_area_ratio=1 / 3,
             fill_color=_bgr_mean, fill_std=_bgr_std),
        dict(type='PackInputs'),
    ]


def _test(size):
    return [
        dict(type='LoadImageFromFile'),
        dict(type='ResizeEdge', scale=size * 256 // 224, edge='short',
             backend='pillow', interpolation='bicubic'),
        dict(type='CenterCrop', crop_size=size),
        dict(type='PackInputs'),
    ]


train_pipeline_384, test_pipeline_384 = _train(384), _test(384)
train_pipeline_392, test_pipeline_392 = _train(392), _test(392)
