"""Check that the installed environment works (run by tools/install.sh).

Imports mmincubate, mmpretrain, mmdet, mmseg and timm, and runs mmcv's
compiled RoIAlign and nms on CPU tensors. Exits non-zero with the reason on
the first failure.
"""
import importlib
import sys


def check(name: str, func) -> None:
    try:
        result = func()
    except Exception as error:  # noqa: BLE001  (report any failure)
        print(f'FAILED  {name}: {type(error).__name__}: {error}')
        sys.exit(1)
    print(f'ok      {name}{": " + result if result else ""}')


def versions() -> str:
    names = ['torch', 'torchvision', 'mmengine', 'mmcv', 'mmpretrain',
             'mmdet', 'mmseg', 'timm', 'numpy', 'mmincubate']
    return ', '.join(f'{n} {importlib.import_module(n).__version__}'
                     for n in names)


def torchvision_ops() -> str:
    import torch
    import torchvision
    keep = torchvision.ops.nms(
        torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]]),
        torch.tensor([0.9, 0.8]), 0.5)
    assert keep.tolist() == [0], keep
    return ''


def mmcv_ops() -> str:
    import torch
    from mmcv.ops import RoIAlign, nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [20., 20., 30., 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    _, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2], keep
    feats = torch.arange(2 * 16 * 16, dtype=torch.float32).view(1, 2, 16, 16)
    rois = torch.tensor([[0., 2., 2., 10., 10.]])
    out = RoIAlign((4, 4), spatial_scale=1.0, sampling_ratio=2)(feats, rois)
    assert out.shape == (1, 2, 4, 4) and torch.isfinite(out).all()
    return 'nms and RoIAlign ran on CPU'


def models_import() -> str:
    import mmdet.models  # noqa: F401
    import mmpretrain.models  # noqa: F401
    import mmseg.models  # noqa: F401
    import timm
    timm.create_model('vit_tiny_patch16_224', pretrained=False,
                      num_classes=2, img_size=32, patch_size=16)
    return 'mmpretrain, mmdet, mmseg models and a timm ViT build'


def mmincubate_scope() -> str:
    import mmincubate
    from mmengine.registry import init_default_scope
    init_default_scope('mmincubate')
    from mmincubate.registry import RUNNERS
    RUNNERS.get('ExactResumeRunner')
    return f'mmincubate {mmincubate.__version__} registries resolve'


if __name__ == '__main__':
    check('versions', versions)
    check('torchvision ops', torchvision_ops)
    check('mmcv compiled ops', mmcv_ops)
    check('model libraries', models_import)
    check('mmincubate', mmincubate_scope)
    print('environment verified')
