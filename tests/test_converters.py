"""Checkpoint converters: timm <-> mmpretrain, Deep Incubation release ->
mmpretrain, mmpretrain -> mmseg. Tiny random models only, no downloads."""
import os
import os.path as osp
import runpy
import subprocess
import sys
from functools import partial

import pytest
import torch
import torch.nn as nn

from mmincubate.converters import (ConversionError, convert_file,
                                   deep_incubation_to_mmpretrain,
                                   mmpretrain_to_mmseg, mmpretrain_to_timm,
                                   timm_to_mmpretrain)
from mmincubate.utils.checkpoint import (UnsafeCheckpointError,
                                         load_checkpoint_file)
from tests.helpers import randomize

timm = pytest.importorskip('timm')

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(REPO, 'tools', 'model_converters')
TOL = 1e-5
EMBED, HEADS, CLASSES = 64, 4, 10

# name -> (timm builder, img_size, patch, depth, qkv_bias, eps)
ARCHS = {
    'vit': (lambda: timm.models.VisionTransformer(
        img_size=32, patch_size=8, embed_dim=EMBED, depth=4, num_heads=HEADS,
        num_classes=CLASSES), 32, 8, 4, True, 1e-6),
    'deit': (lambda: timm.create_model(
        'deit_tiny_patch16_224', pretrained=False, img_size=32,
        embed_dim=EMBED, depth=5, num_heads=HEADS, num_classes=CLASSES),
             32, 16, 5, True, 1e-6),
    'vit_h': (lambda: timm.models.VisionTransformer(
        img_size=28, patch_size=14, embed_dim=EMBED, depth=4, num_heads=HEADS,
        qkv_bias=False, norm_layer=partial(nn.LayerNorm, eps=1e-5),
        num_classes=CLASSES), 28, 14, 4, False, 1e-5),
}


def quiet(_msg: str) -> None:
    pass


def mmpretrain_backbone_cfg(name: str, out_type: str = 'cls_token') -> dict:
    _, img, patch, depth, qkv_bias, eps = ARCHS[name]
    return dict(
        type='VisionTransformer',
        arch=dict(embed_dims=EMBED, num_layers=depth, num_heads=HEADS,
                  feedforward_channels=4 * EMBED),
        img_size=img, patch_size=patch, qkv_bias=qkv_bias,
        norm_cfg=dict(type='LN', eps=eps), out_type=out_type,
        final_norm=True, with_cls_token=True)


def build_mmpretrain(name: str) -> nn.Module:
    from mmpretrain.registry import MODELS
    model = MODELS.build(dict(
        type='mmpretrain.ImageClassifier',
        backbone=mmpretrain_backbone_cfg(name),
        head=dict(type='mmpretrain.VisionTransformerClsHead',
                  num_classes=CLASSES, in_channels=EMBED)))
    return model.eval()


def build_mmseg(name: str, **kwargs) -> nn.Module:
    from mmseg.models.backbones import VisionTransformer
    _, img, patch, depth, _, eps = ARCHS[name]
    model = VisionTransformer(
        img_size=img, patch_size=patch, embed_dims=EMBED, num_layers=depth,
        num_heads=HEADS, mlp_ratio=4, out_indices=depth - 1, qkv_bias=True,
        patch_bias=True, final_norm=True, with_cls_token=True,
        output_cls_token=False, norm_cfg=dict(type='LN', eps=eps),
        **kwargs)
    model.eval()
    return model


@pytest.fixture(scope='module', params=sorted(ARCHS))
def case(request):
    name = request.param
    timm_model = randomize(ARCHS[name][0](), seed=len(name))
    img = ARCHS[name][1]
    x = torch.randn(2, 3, img, img, generator=torch.Generator().manual_seed(1))
    return name, timm_model, x


def test_timm_to_mmpretrain_logits(case):
    name, timm_model, x = case
    state = timm_to_mmpretrain(timm_model.state_dict(), logger=quiet)
    model = build_mmpretrain(name)
    assert set(state) == set(model.state_dict())
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        ref = timm_model(x)
        out = model(x, mode='tensor')
    assert ref.abs().max() > 0.1  # non-trivial logits
    torch.testing.assert_close(out, ref, rtol=0, atol=TOL)
    if name == 'vit_h':
        assert not any('qkv.bias' in k for k in state)


def test_round_trip_exact(case):
    _, timm_model, _ = case
    src = timm_model.state_dict()
    back = mmpretrain_to_timm(timm_to_mmpretrain(src, logger=quiet),
                              logger=quiet)
    assert list(back) == list(src)
    assert all(torch.equal(back[k], src[k]) for k in src)


def test_mmseg_features(case, tmp_path):
    name, timm_model, x = case
    from mmpretrain.models import VisionTransformer
    mmpre = timm_to_mmpretrain(timm_model.state_dict(), logger=quiet)
    cfg = mmpretrain_backbone_cfg(name, 'featmap')
    cfg.pop('type')
    backbone = VisionTransformer(**cfg)
    backbone.eval()  # (mmpretrain/mmseg backbones' train() returns None)
    backbone.load_state_dict({k[len('backbone.'):]: v for k, v in mmpre.items()
                              if k.startswith('backbone.')}, strict=True)
    seg_state = mmpretrain_to_mmseg(mmpre, logger=quiet)
    seg = build_mmseg(name)
    seg.load_state_dict(seg_state, strict=True)
    with torch.no_grad():
        ref = backbone(x)[-1]
        out = seg(x)[-1]
    assert out.shape == ref.shape and out.dim() == 4
    torch.testing.assert_close(out, ref, rtol=0, atol=TOL)
    # the file route: mmseg's own init_cfg=Pretrained loading
    src, dst = tmp_path / 'mmpre.pth', tmp_path / 'seg.pth'
    torch.save({'state_dict': mmpre}, src)
    convert_file(str(src), str(dst), 'mmpretrain->mmseg', logger=quiet)
    seg2 = build_mmseg(name, init_cfg=dict(type='Pretrained',
                                           checkpoint=str(dst)))
    seg2.init_weights()
    seg2.eval()
    with torch.no_grad():
        torch.testing.assert_close(seg2(x)[-1], ref, rtol=0, atol=TOL)
    # prefix for a whole-segmentor load_from
    prefixed = mmpretrain_to_mmseg(mmpre, prefix='backbone.', logger=quiet)
    assert set(prefixed) == {'backbone.' + k for k in seg_state}


# --------------------------------------------------------------- release
DEPTHS = [1, 3, 2, 2]  # K = 4 modules, uneven on purpose


@pytest.fixture(scope='module')
def release():
    model = randomize(timm.models.VisionTransformer(
        img_size=32, patch_size=16, embed_dim=EMBED, depth=sum(DEPTHS),
        num_heads=HEADS, num_classes=CLASSES), seed=7)
    sd = model.state_dict()
    with_alias = dict(sd)
    stages, offset = [], 0
    for k, depth in enumerate(DEPTHS):
        part = {}
        if k == 0:
            part.update({n: v for n, v in sd.items()
                         if n in ('cls_token', 'pos_embed')
                         or n.startswith('patch_embed.')})
        for j in range(depth):
            for n, v in sd.items():
                pre = f'blocks.{offset + j}.'
                if n.startswith(pre):
                    part[f'blocks.{j}.' + n[len(pre):]] = v
                    with_alias[f'stages.{k}.{j}.' + n[len(pre):]] = v
        if k == len(DEPTHS) - 1:
            part.update({n: v for n, v in sd.items()
                         if n.startswith(('norm.', 'head.'))})
        stages.append(part)
        offset += depth
    ckpt = dict(model=with_alias, model_stages=stages,
                optimizer=dict(state={}, param_groups=[dict(lr=0.1)]),
                lr_scheduler=dict(last_epoch=3), epoch=3, args=dict(lr=0.1))
    return sd, ckpt


def test_release_entries_agree(release, tmp_path):
    sd, ckpt = release
    expected = timm_to_mmpretrain(sd, logger=quiet)
    variants = {
        'both': ckpt,
        'model': {k: v for k, v in ckpt.items() if k != 'model_stages'},
        'model_stages': {k: v for k, v in ckpt.items() if k != 'model'},
    }
    for variant in variants.values():
        out = deep_incubation_to_mmpretrain(variant, logger=quiet)
        assert list(out) == list(expected)
        assert all(torch.equal(out[k], expected[k]) for k in expected)
    # through the file and the CLI
    src, dst = tmp_path / 'release.pth', tmp_path / 'out.pth'
    torch.save(ckpt, src)
    assert run_tool('deep_incubation_to_mmincubate', src, dst) == 0
    saved = load_checkpoint_file(str(dst))['state_dict']
    assert all(torch.equal(saved[k], expected[k]) for k in expected)
    assert set(saved) == set(expected)


def test_release_disagreement_and_bad_alias(release):
    sd, ckpt = release
    bad_stage = [dict(s) for s in ckpt['model_stages']]
    bad_stage[2]['blocks.1.mlp.fc1.bias'] = \
        bad_stage[2]['blocks.1.mlp.fc1.bias'] + 1
    with pytest.raises(ConversionError, match='blocks.5.mlp.fc1.bias'):
        deep_incubation_to_mmpretrain(dict(ckpt, model_stages=bad_stage),
                                      logger=quiet)
    bad_model = dict(ckpt['model'])
    bad_model['stages.1.2.norm1.weight'] = torch.zeros(EMBED)
    with pytest.raises(ConversionError, match='stages.1.2.norm1.weight'):
        deep_incubation_to_mmpretrain(dict(ckpt, model=bad_model),
                                      logger=quiet)
    with pytest.raises(ConversionError, match='model_stages'):
        deep_incubation_to_mmpretrain(dict(optimizer={}), logger=quiet)


# ------------------------------------------------------------ bad inputs
def test_unknown_and_missing_keys(release):
    sd, _ = release
    with pytest.raises(ConversionError) as err:
        timm_to_mmpretrain(dict(sd, **{'dist_token': torch.zeros(1),
                                       'fc_norm.weight': torch.zeros(1)}),
                           logger=quiet)
    assert 'dist_token' in str(err.value)
    assert 'fc_norm.weight' in str(err.value)
    missing = {k: v for k, v in sd.items()
               if k not in ('blocks.3.mlp.fc1.weight', 'norm.bias')}
    with pytest.raises(ConversionError) as err:
        timm_to_mmpretrain(missing, logger=quiet)
    assert 'blocks.3.mlp.fc1.weight' in str(err.value)
    assert 'norm.bias' in str(err.value)
    mmpre = timm_to_mmpretrain(sd, logger=quiet)
    del mmpre['backbone.layers.2.ffn.layers.1.bias']
    mmpre['backbone.pre_norm.weight'] = torch.zeros(1)
    with pytest.raises(ConversionError, match='backbone.pre_norm.weight'):
        mmpretrain_to_timm(mmpre, logger=quiet)
    del mmpre['backbone.pre_norm.weight']
    for fn in (mmpretrain_to_timm, mmpretrain_to_mmseg):
        with pytest.raises(ConversionError,
                           match=r'backbone\.layers\.2\.ffn\.layers\.1\.bias'):
            fn(mmpre, logger=quiet)


def run_tool(name, *args):
    """Run a converter script in-process; return its exit status."""
    argv = sys.argv
    sys.argv = [osp.join(TOOLS, name + '.py')] + [str(a) for a in args]
    try:
        runpy.run_path(sys.argv[0], run_name='__main__')
    except SystemExit as exit_:
        return exit_.code
    finally:
        sys.argv = argv
    return 0


def test_cli_reports_bad_keys(release, tmp_path, capsys):
    sd, _ = release
    src = tmp_path / 'bad.pth'
    torch.save(dict(sd, extra_weight=torch.zeros(1)), src)
    assert run_tool('timm_to_mmincubate', src, tmp_path / 'o.pth') == 1
    assert 'extra_weight' in capsys.readouterr().err
    assert not (tmp_path / 'o.pth').exists()


class Pwn:

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'echo pwned > {self.marker}', ))


TOOL_DIRECTIONS = {
    'deep_incubation_to_mmincubate': 'deep_incubation->mmpretrain',
    'timm_to_mmincubate': 'timm->mmpretrain',
    'mmincubate_to_timm': 'mmpretrain->timm',
    'mmincubate_to_mmseg': 'mmpretrain->mmseg',
}


def test_malicious_pickle_refused(tmp_path, capsys):
    marker = tmp_path / 'pwned'
    src = tmp_path / 'evil.pth'
    torch.save({'model': Pwn(str(marker)), 'state_dict': Pwn(str(marker))},
               src)
    for tool, direction in TOOL_DIRECTIONS.items():
        with pytest.raises(UnsafeCheckpointError):
            convert_file(str(src), str(tmp_path / 'o.pth'), direction,
                         logger=quiet)
        assert run_tool(tool, src, tmp_path / 'o.pth') == 1
        assert 'UnsafeCheckpointError' in capsys.readouterr().err
    # also with the opt-in mmengine types
    assert run_tool('mmincubate_to_timm', src, tmp_path / 'o.pth',
                    '--trust-mmengine') == 1
    # and once as a real process, as a user would run it
    proc = subprocess.run(
        [sys.executable,
         osp.join(TOOLS, 'deep_incubation_to_mmincubate.py'), str(src),
         str(tmp_path / 'o.pth')], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    assert 'UnsafeCheckpointError' in proc.stderr
    assert not marker.exists()
    assert not (tmp_path / 'o.pth').exists()
