"""Utilities: checkpoint I/O under the weights-only policy."""
from .checkpoint import (CheckpointFormatError, UnsafeCheckpointError,
                         dump_json_atomic,
                         get_state_dict, load_checkpoint_file,
                         mmengine_trusted_globals, raise_unsafe,
                         save_checkpoint_atomic, trust_mmengine_checkpoints)

__all__ = [
    'CheckpointFormatError', 'UnsafeCheckpointError', 'dump_json_atomic',
    'get_state_dict',
    'load_checkpoint_file', 'mmengine_trusted_globals', 'raise_unsafe',
    'save_checkpoint_atomic', 'trust_mmengine_checkpoints'
]
