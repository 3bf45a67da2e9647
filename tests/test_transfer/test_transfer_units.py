"""PlainViT strict loading, the simple feature pyramid, layer-wise lr decay,
and every shipped detection / segmentation config builds."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from mmincubate.models.backbones import PlainViT
from mmincubate.models.necks import SimpleFeaturePyramid
from mmincubate.utils import CheckpointFormatError
from tests.helpers import ROOT, TINY_ARCH, tiny_target

DET_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/mask_rcnn/*.py')))
SEG_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/upernet/*.py')))


def _classifier_checkpoint(path, **backbone):
    """An mmpretrain classifier checkpoint (as assembled.pth / final.pth)."""
    from mmpretrain.registry import MODELS
    cfg = tiny_target(depth=4, dims=32, img=32, patch=16, in_channels=3,
                      **backbone)
    cfg.pop('data_preprocessor')
    model = MODELS.build(cfg)
    torch.save({'state_dict': model.state_dict()}, path)
    return model


def _plain_vit(checkpoint, prefix='backbone.', **kwargs):
    return PlainViT(
        arch=TINY_ARCH, img_size=64, patch_size=16, out_indices=(3, ),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint,
                      prefix=prefix), **kwargs)


def test_loads_every_key_and_interpolates_pos_embed(tmp_path):
    path = str(tmp_path / 'final.pth')
    classifier = _classifier_checkpoint(path)
    backbone = _plain_vit(path)
    backbone.init_weights()
    source = classifier.backbone.state_dict()
    for key, value in backbone.state_dict().items():
        if key != 'pos_embed':
            assert torch.equal(value, source[key]), key
    # 2x2 grid of the 32px classifier -> 4x4 grid at img_size 64 (+cls)
    assert backbone.pos_embed.shape == (1, 17, 32)
    assert torch.equal(backbone.pos_embed[:, :1], source['pos_embed'][:, :1])
    feats = backbone(torch.randn(1, 3, 96, 160))
    assert feats[0].shape == (1, 32, 6, 10)


def test_local_learning_exports_transfer(tmp_path):
    """LocalLearning's assembled.pth (auxiliary classifiers and decoders
    left out) loads strictly into the detection / segmentation backbone."""
    from mmincubate.models.algorithms import LocalLearning
    from mmincubate.utils.checkpoint import save_checkpoint_atomic
    cfg = tiny_target(depth=4, dims=32, img=32, patch=16, in_channels=3)
    cfg['data_preprocessor'] = dict(num_classes=10, mean=[127.5] * 3,
                                    std=[127.5] * 3)
    model = LocalLearning(target=cfg, num_modules=2, aux_net='block',
                          lambda_rec=0.5)
    path = str(tmp_path / 'assembled.pth')
    save_checkpoint_atomic(model.phase_exports('local', (), True)[
        'assembled.pth'], path)
    backbone = _plain_vit(path)
    backbone.init_weights()
    source = model.target.backbone.state_dict()
    for key, value in backbone.state_dict().items():
        if key != 'pos_embed':
            assert torch.equal(value, source[key]), key


@pytest.mark.parametrize('change, listed', [
    (lambda sd: sd.pop('backbone.layers.1.attn.qkv.weight'),
     'Missing keys: [layers.1.attn.qkv.weight]'),
    (lambda sd: sd.update({'backbone.layers.4.ln1.weight': torch.ones(32)}),
     'unexpected keys: [layers.4.ln1.weight]'),
    (lambda sd: sd.update({'backbone.ln1.weight': torch.ones(48)}),
     'ln1.weight: checkpoint (48,) vs model (32,)'),
])
def test_wrong_or_partial_checkpoint_lists_keys(tmp_path, change, listed):
    path = str(tmp_path / 'final.pth')
    _classifier_checkpoint(path)
    state = torch.load(path, weights_only=True)['state_dict']
    change(state)
    torch.save({'state_dict': state}, path)
    backbone = _plain_vit(path)
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    with pytest.raises(CheckpointFormatError, match='does not fit') as err:
        backbone.init_weights()
    assert listed in str(err.value)
    # nothing was loaded
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_wrong_prefix_and_other_architecture(tmp_path):
    path = str(tmp_path / 'final.pth')
    _classifier_checkpoint(path)
    with pytest.raises(CheckpointFormatError, match='no keys under the '
                       'prefix "target.backbone."'):
        _plain_vit(path, prefix='target.backbone.').init_weights()
    # a checkpoint of a ViT without qkv bias: the bias keys are missing
    _classifier_checkpoint(path, qkv_bias=False)
    with pytest.raises(CheckpointFormatError, match='attn.qkv.bias'):
        _plain_vit(path).init_weights()


def test_activation_checkpointing_gives_the_same_output_and_grads():
    torch.manual_seed(0)
    plain = PlainViT(arch=TINY_ARCH, img_size=32, patch_size=16,
                     out_indices=(1, 3))
    checkpointed = PlainViT(arch=TINY_ARCH, img_size=32, patch_size=16,
                            out_indices=(1, 3), with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 48)
    outs = [m(x) for m in (plain, checkpointed)]
    for a, b in zip(*outs):
        assert torch.allclose(a, b, atol=1e-6)
    sum(o.sum() for o in outs[0]).backward()
    sum(o.sum() for o in outs[1]).backward()
    for (name, p), q in zip(plain.named_parameters(),
                            checkpointed.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-5), name


def test_simple_feature_pyramid_strides():
    neck = SimpleFeaturePyramid(in_channels=32, out_channels=16, num_outs=5)
    outs = neck((torch.randn(1, 32, 8, 12), ))
    assert [tuple(o.shape[2:]) for o in outs] == [(32, 48), (16, 24),
                                                  (8, 12), (4, 6), (2, 3)]
    with pytest.raises(ValueError, match='scale factor 3'):
        SimpleFeaturePyramid(in_channels=32, scale_factors=(3, ), num_outs=1)


class _Detector(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = PlainViT(arch=TINY_ARCH, img_size=32, patch_size=16)
        self.neck = SimpleFeaturePyramid(in_channels=32, out_channels=8)


def test_layer_decay_follows_mmpretrain_names():
    model = _Detector()
    model.backbone.layers[0].requires_grad_(False)  # frozen: left out
    model.backbone.layers[3].requires_grad_(False)  # still counted in L
    wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=1.0, weight_decay=0.1),
        constructor='mmincubate.LayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=0.5, num_layers=4)))
    lr = {}
    decay = {}
    for group in wrapper.optimizer.param_groups:
        for name in group['param_names']:
            lr[name] = group['lr']
            decay[name] = group['weight_decay']
    assert lr['backbone.patch_embed.projection.weight'] == 0.5**5
    assert lr['backbone.cls_token'] == 0.5**5
    assert 'backbone.layers.0.attn.qkv.weight' not in lr
    assert lr['backbone.layers.1.attn.qkv.weight'] == 0.5**3
    assert 'backbone.layers.3.ffn.layers.1.weight' not in lr
    assert lr['backbone.layers.2.ffn.layers.1.weight'] == 0.5**2
    assert lr['backbone.ln1.weight'] == 1.0
    assert lr['neck.stages.0.0.weight'] == 1.0
    assert decay['backbone.layers.2.attn.qkv.weight'] == 0.1
    assert decay['backbone.layers.2.attn.qkv.bias'] == 0.0
    assert decay['backbone.pos_embed'] == 0.0
    n_params = sum(p.requires_grad for p in model.parameters())
    assert sum(len(g['params'])
               for g in wrapper.optimizer.param_groups) == n_params


def test_layer_decay_inside_deep_incubation_finetune():
    from mmincubate.registry import MODELS
    init_default_scope('mmincubate')
    model = MODELS.build(dict(type='DeepIncubation',
                              target=tiny_target(depth=4), num_modules=2))
    model.set_phase('finetune')
    wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=1.0),
        constructor='mmincubate.LayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=0.5)))
    lr = {n: g['lr'] for g in wrapper.optimizer.param_groups
          for n in g['param_names']}
    assert lr['target.backbone.layers.0.attn.qkv.weight'] == 0.5**4
    assert lr['target.head.layers.head.weight'] == 1.0
    assert not any(n.startswith('meta.') for n in lr)


def test_layer_decay_refuses_to_decay_nothing():
    class TimmNamed(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.backbone = torch.nn.Module()
            self.backbone.blocks = torch.nn.ModuleList(
                [torch.nn.Linear(2, 2)])

    with pytest.raises(ValueError, match='backbone.layers.N'):
        build_optim_wrapper(TimmNamed(), dict(
            optimizer=dict(type='AdamW', lr=1.0),
            constructor='mmincubate.LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.7)))
    with pytest.raises(ValueError, match='num_layers=4'):
        build_optim_wrapper(_Detector(), dict(
            optimizer=dict(type='AdamW', lr=1.0),
            constructor='mmincubate.LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.7, num_layers=12)))


def _build(config):
    cfg = Config.fromfile(config)
    init_default_scope(cfg.default_scope)
    registry = {'mmdet': 'mmdet.registry', 'mmseg': 'mmseg.registry'}
    models = __import__(registry[cfg.default_scope],
                        fromlist=['MODELS']).MODELS
    with torch.device('meta'):
        return cfg, models.build(cfg.model)


@pytest.mark.parametrize('config', DET_CONFIGS + SEG_CONFIGS,
                         ids=osp.basename)
def test_every_transfer_config_builds(config):
    cfg, model = _build(config)
    assert isinstance(model.backbone, PlainViT)
    init = cfg.model.backbone.init_cfg
    assert init.type == 'Pretrained' and init.prefix == 'backbone.'
    assert init.checkpoint.endswith(
        'final.pth' if '-incub_' in config else 'epoch_300.pth')
    assert cfg.optim_wrapper.constructor == \
        'mmincubate.LayerDecayOptimWrapperConstructor'
    arch = {'vit-b': 12, 'vit-l': 24, 'vit-h': 32}
    depth = next(v for k, v in arch.items() if f'_{k}-' in config)
    assert model.backbone.num_layers == depth
    if '-e2e_' in config:  # the twin differs only in the checkpoint
        incub, _ = _build(config.replace('-e2e_', '-incub_'))
        incub.model.backbone.init_cfg.checkpoint = init.checkpoint
        assert incub.to_dict() == cfg.to_dict()


def test_vit_h_detector_runs_at_stride_3_5():
    """ViT-H's patch 14: the pyramid and the RoI heads at strides 3.5..56."""
    cfg = Config.fromfile(
        osp.join(ROOT,
                 'configs/mask_rcnn/mask-rcnn_vit-h-incub_simplefpn_1x_coco.py'))
    init_default_scope('mmdet')
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    cfg.model.backbone.update(arch=TINY_ARCH, out_indices=(3, ), init_cfg=None,
                              with_cp=False)
    cfg.model.neck.in_channels = 32
    model = MODELS.build(cfg.model)
    model.init_weights()
    sample = DetDataSample(metainfo=dict(img_shape=(112, 140),
                                         pad_shape=(112, 140),
                                         batch_input_shape=(112, 140)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[10., 20., 60., 90.]]),
        labels=torch.tensor([3]))
    from mmdet.structures.mask import BitmapMasks
    import numpy as np
    mask = np.zeros((1, 112, 140), dtype=np.uint8)
    mask[0, 20:90, 10:60] = 1
    sample.gt_instances.masks = BitmapMasks(mask, 112, 140)
    feats = model.extract_feat(torch.randn(1, 3, 112, 140))
    assert [f.shape[-1] for f in feats] == [40, 20, 10, 5, 3]
    losses = model.loss(torch.randn(1, 3, 112, 140), [sample])
    assert all(torch.isfinite(v).all() for k, v in losses.items()
               if 'loss' in k and isinstance(v, torch.Tensor))


def test_converted_timm_vit_transfers(tmp_path):
    """A timm ViT converted with tools/model_converters/timm_to_mmincubate.py
    loads strictly into the detection/segmentation backbone, whose feature
    map equals timm's normalized patch tokens (at the pretraining size: the
    two libraries interpolate pos_embed slightly differently, ~1e-3)."""
    import subprocess
    import sys

    timm = pytest.importorskip('timm')
    from tests.helpers import randomize
    model = randomize(timm.models.VisionTransformer(
        img_size=32, patch_size=16, embed_dim=32, depth=4, num_heads=2,
        mlp_ratio=2.0, num_classes=10, dynamic_img_size=True)).eval()
    torch.save(model.state_dict(), tmp_path / 'timm.pth')
    proc = subprocess.run(
        [sys.executable,
         osp.join(ROOT, 'tools/model_converters/timm_to_mmincubate.py'),
         str(tmp_path / 'timm.pth'), str(tmp_path / 'converted.pth')],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    backbone = PlainViT(arch=TINY_ARCH, img_size=32, patch_size=16,
                        out_indices=(3, ),
                        init_cfg=dict(type='Pretrained', prefix='backbone.',
                                      checkpoint=str(tmp_path /
                                                     'converted.pth')))
    backbone.init_weights()
    backbone.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        ours = backbone(x)[0]
        tokens = model.forward_features(x)[:, 1:]
        assert backbone(torch.randn(1, 3, 64, 96))[0].shape == (1, 32, 4, 6)
    theirs = tokens.transpose(1, 2).reshape(2, 32, 2, 2)
    assert torch.allclose(ours, theirs, atol=1e-5), \
        (ours - theirs).abs().max()


@pytest.mark.parametrize('config', DET_CONFIGS + SEG_CONFIGS,
                         ids=osp.basename)
def test_every_transfer_schedule_builds(config):
    """Optimizer (layer decay over every parameter), schedulers spanning the
    whole run, and a loop, checkpoint and log setting of the same kind."""
    from mmengine.registry import PARAM_SCHEDULERS
    cfg, model = _build(config)
    optim = cfg.optim_wrapper.copy()
    assert optim.pop('type') == 'AmpOptimWrapper'  # AMP on GPUs
    optim.pop('loss_scale')
    wrapper = build_optim_wrapper(model, dict(optim, type='OptimWrapper'))
    n_params = sum(p.requires_grad for p in model.parameters())
    assert sum(len(g['params'])
               for g in wrapper.optimizer.param_groups) == n_params
    by_epoch = cfg.train_cfg.type == 'EpochBasedTrainLoop'
    length = cfg.train_cfg.max_epochs if by_epoch else cfg.train_cfg.max_iters
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
        for s in cfg.param_scheduler
    ]
    assert schedulers[-1].end == length
    assert schedulers[0].by_epoch is False  # warmup in iterations
    assert cfg.default_hooks.checkpoint.get('by_epoch', True) == by_epoch
    assert cfg.default_hooks.checkpoint.get('max_keep_ckpts') == 3
    assert cfg.log_processor.get('by_epoch', True) == by_epoch
