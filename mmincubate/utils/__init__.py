"""Utilities: checkpoint I/O under the weights-only policy."""
from .checkpoint import (CHECKPOINT_READ_ERRORS, CheckpointFormatError,
                         UnsafeCheckpointError, dump_json_atomic,
                         get_state_dict, load_checkpoint_file,
                         mmengine_trusted_globals, raise_checkpoint_read_error,
                         save_checkpoint_atomic, trust_mmengine_checkpoints)

__all__ = [
    'CHECKPOINT_READ_ERRORS', 'CheckpointFormatError', 'UnsafeCheckpointError',
    'dump_json_atomic', 'get_state_dict', 'load_checkpoint_file',
    'mmengine_trusted_globals', 'raise_checkpoint_read_error',
    'save_checkpoint_atomic', 'trust_mmengine_checkpoints'
]
