"""PortableCheckpointHook: the message hub's buffers in a checkpoint load
weights-only, and the runner registers the hook on its own."""
import pickle

import pytest
import torch
from mmengine.logging import MessageHub

from mmincubate.engine.hooks import PortableCheckpointHook
from mmincubate.utils.checkpoint import (PortableHistoryBuffer,
                                         trust_mmengine_checkpoints)


def checkpoint_with_scalars(name: str) -> dict:
    hub = MessageHub.get_instance(name)
    for value in (3.0, 1.0):
        hub.update_scalar('train/loss', value)
    return {'message_hub': hub.state_dict(), 'state_dict': {}}


def load_weights_only(checkpoint: dict, path) -> dict:
    torch.save(checkpoint, path)
    with trust_mmengine_checkpoints():
        return torch.load(path, weights_only=True)


def test_buffers_become_portable_and_load_weights_only(tmp_path):
    checkpoint = checkpoint_with_scalars('portable-hook-test')
    with pytest.raises(pickle.UnpicklingError, match='Weights only'):
        load_weights_only(checkpoint, tmp_path / 'stock.pth')
    PortableCheckpointHook().before_save_checkpoint(None, checkpoint)
    loaded = load_weights_only(checkpoint, tmp_path / 'portable.pth')
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert type(buffer) is PortableHistoryBuffer
    assert buffer.current() == 1.0 and buffer.mean() == 2.0


def test_runs_after_every_other_hook():
    assert PortableCheckpointHook.priority == 'LOWEST'
