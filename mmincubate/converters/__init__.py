"""Checkpoint converters between timm, mmpretrain, mmseg and the official
Deep Incubation release. Command-line wrappers: ``tools/model_converters/``.

Example:
    >>> from mmincubate.converters import timm_to_mmpretrain
    >>> state_dict = timm_to_mmpretrain(timm_model.state_dict())
"""
from .vit import (DIRECTIONS, TIMM_BLOCK_PARAMS, ConversionError, cli_main,
                  convert_file,
                  deep_incubation_to_mmpretrain, deep_incubation_to_timm,
                  describe_vit, mmpretrain_to_mmseg, mmpretrain_to_timm,
                  timm_to_mmpretrain, timm_to_mmseg)

__all__ = [
    'ConversionError', 'TIMM_BLOCK_PARAMS', 'describe_vit',
    'timm_to_mmpretrain', 'mmpretrain_to_timm',
    'deep_incubation_to_mmpretrain', 'deep_incubation_to_timm',
    'mmpretrain_to_mmseg', 'timm_to_mmseg', 'DIRECTIONS', 'convert_file',
    'cli_main'
]
