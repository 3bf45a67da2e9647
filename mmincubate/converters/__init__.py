"""Checkpoint converters between timm, mmpretrain, mmseg and the official
Deep Incubation release. Command-line wrappers: ``tools/model_converters/``.

Modules: ``layouts`` (key layouts, the canonical timm form, validation),
``timm`` (timm <-> mmpretrain), ``mmseg`` (-> mmseg), ``release`` (the
official release format), ``files`` (file to file, as the tools run it).

Example:
    >>> import timm
    >>> from mmincubate.converters import (mmpretrain_to_timm,
    ...                                    timm_to_mmpretrain)
    >>> timm_sd = timm.create_model('vit_tiny_patch16_224').state_dict()
    >>> mmpre_sd = timm_to_mmpretrain(timm_sd)
    >>> assert mmpretrain_to_timm(mmpre_sd).keys() == timm_sd.keys()
"""
from .files import DIRECTIONS, convert_file
from .layouts import TIMM_BLOCK_PARAMS, ConversionError, describe_vit
from .mmseg import mmpretrain_to_mmseg, timm_to_mmseg
from .release import deep_incubation_to_mmpretrain, deep_incubation_to_timm
from .timm import mmpretrain_to_timm, timm_to_mmpretrain

__all__ = [
    'ConversionError', 'TIMM_BLOCK_PARAMS', 'describe_vit',
    'timm_to_mmpretrain', 'mmpretrain_to_timm',
    'deep_incubation_to_mmpretrain', 'deep_incubation_to_timm',
    'mmpretrain_to_mmseg', 'timm_to_mmseg', 'DIRECTIONS', 'convert_file'
]
