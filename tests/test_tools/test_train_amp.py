"""tools/train.py --amp: bf16 autocast by default, fp16 on request, a
config's own mixed-precision wrapper kept."""
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config

from tests.helpers import ROOT

DIGITS = osp.join(ROOT, 'configs/incubate/vit_tiny_k4_digits.py')
UPERNET = osp.join(ROOT, 'configs/upernet/'
                   'upernet_vit-b-incub_mln_8xb2-80k_ade20k-512x512.py')


def train_tool():
    spec = importlib.util.spec_from_file_location(
        'train_tool', osp.join(ROOT, 'tools/train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def merged(*argv, config=DIGITS):
    tool = train_tool()
    args = tool.parse_args([config, *argv])
    return tool.merge_args(Config.fromfile(config), args).optim_wrapper


def test_amp_is_bf16_autocast():
    assert merged().get('type', 'OptimWrapper') == 'OptimWrapper'
    wrapper = merged('--amp')
    assert wrapper.type == 'BF16AutocastOptimWrapper'
    assert 'loss_scale' not in wrapper


def test_amp_float16_is_mmengine_amp_with_loss_scale():
    wrapper = merged('--amp', '--amp-dtype', 'float16')
    assert wrapper.type == 'AmpOptimWrapper'
    assert wrapper.loss_scale == 'dynamic'


def test_amp_dtype_without_amp_fails_clearly():
    with pytest.raises(ValueError, match='add --amp'):
        merged('--amp-dtype', 'float16')


def test_config_amp_wrapper_is_kept():
    before = Config.fromfile(UPERNET).optim_wrapper
    assert merged('--amp', config=UPERNET) == before
