"""load_state_dict_strict: prefix selection, ignored keys, strict fit."""
import pytest
import torch
from torch import nn

from mmincubate.utils import CheckpointFormatError
from mmincubate.utils.state_dict import load_state_dict_strict


class _Classifier(nn.Module):

    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.backbone = nn.Linear(width, width)
        self.head = nn.Linear(width, 2)


def _same(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(v, b.state_dict()[k])
               for k, v in a.state_dict().items())


def test_training_checkpoint_part_and_plain_classifier(tmp_path):
    """DeepIncubation's use: the ``meta.`` part of a DDP-saved training
    checkpoint, or a whole classifier file; data preprocessor buffers are
    not weights."""
    source = _Classifier()
    training = {f'module.meta.{k}': v for k, v in source.state_dict().items()}
    training['module.meta.data_preprocessor.mean'] = torch.zeros(3)
    training['module.target.head.bias'] = torch.zeros(2)
    torch.save({'state_dict': training}, tmp_path / 'train.pth')
    plain = dict(source.state_dict(), **{'data_preprocessor.std':
                                         torch.ones(3)})
    torch.save({'state_dict': plain}, tmp_path / 'plain.pth')
    for name in ('train.pth', 'plain.pth'):
        model = _Classifier()
        loaded = load_state_dict_strict(
            model, str(tmp_path / name), prefixes=('meta.', ''),
            ignore=('data_preprocessor.', ))
        assert sorted(loaded) == sorted(source.state_dict())
        assert _same(model, source)


def test_required_prefix_missing_names_the_keys_and_the_fix(tmp_path):
    """PlainViT's use: one prefix that must be present."""
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': {f'target.{k}': v for k, v in
                               _Classifier().state_dict().items()}}, path)
    with pytest.raises(CheckpointFormatError) as err:
        load_state_dict_strict(_Classifier().backbone, str(path),
                               prefixes=('backbone.', ),
                               prefix_hint='Set init_cfg.prefix.')
    message = str(err.value)
    assert f'Checkpoint "{path}" has no keys under the prefix "backbone."' \
        in message
    assert "['target.']" in message
    assert message.endswith('Set init_cfg.prefix.')


def test_a_mismatch_lists_keys_and_loads_nothing(tmp_path):
    path = tmp_path / 'wide.pth'
    torch.save({'state_dict': _Classifier(width=6).state_dict()}, path)
    model = _Classifier()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointFormatError, match='does not fit') as err:
        load_state_dict_strict(model, str(path), what='wide checkpoint',
                               hint='Match the width.')
    assert 'backbone.weight: checkpoint (6, 6) vs model (4, 4)' in \
        str(err.value)
    assert str(err.value).endswith('Match the width.')
    assert all(torch.equal(v, before[k])
               for k, v in model.state_dict().items())
