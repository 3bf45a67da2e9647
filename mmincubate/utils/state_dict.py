"""Strict state-dict fitting with errors that list the offending keys."""
import re
from typing import Dict, List, Mapping, Sequence

import torch
from torch import nn

from .checkpoint import (CheckpointFormatError, get_state_dict,
                         load_checkpoint_file)
from .checkpoint_kinds import wrong_kind_message

__all__ = [
    'state_dict_mismatches', 'raise_on_mismatch', 'load_state_dict_strict'
]


def _listing(keys: List[str], limit: int = 20) -> str:
    shown = ', '.join(keys[:limit])
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return f'[{shown}{more}]'


def state_dict_mismatches(
        own: Mapping[str, torch.Tensor],
        state: Mapping[str, torch.Tensor],
        skip_shape_check: tuple = ()) -> Dict[str, List[str]]:
    """Compare a model's ``state_dict()`` with checkpoint weights.

    Returns ``missing`` (model keys absent from ``state``), ``unexpected``
    (checkpoint keys the model lacks) and ``shapes`` (keys whose shapes
    differ, except names ending in one of ``skip_shape_check``, which the
    caller resizes itself, e.g. ``pos_embed``).
    """
    return dict(
        missing=sorted(set(own) - set(state)),
        unexpected=sorted(set(state) - set(own)),
        shapes=[
            f'{k}: checkpoint {tuple(state[k].shape)} vs model '
            f'{tuple(own[k].shape)}' for k in sorted(set(own) & set(state))
            if tuple(state[k].shape) != tuple(own[k].shape)
            and not k.endswith(tuple(skip_shape_check))
        ])


def raise_on_mismatch(mismatches: Dict[str, List[str]], what: str,
                      hint: str) -> None:
    """Raise :class:`CheckpointFormatError` naming every mismatch, if any.

    Args:
        mismatches: the output of :func:`state_dict_mismatches`.
        what: which weights into which model, e.g.
            ``'checkpoint "a.pth" (prefix "backbone.") for the backbone'``.
        hint: how to fix it.
    """
    if not any(mismatches.values()):
        return
    raise CheckpointFormatError(
        f'The {what} does not fit. '
        f'Missing keys: {_listing(mismatches["missing"])}; '
        f'unexpected keys: {_listing(mismatches["unexpected"])}; '
        f'shape mismatches: {_listing(mismatches["shapes"])}. {hint}')


def load_state_dict_strict(
        module: nn.Module,
        filename: str,
        prefixes: Sequence[str] = ('', ),
        ignore: Sequence[str] = (),
        what: str = '',
        hint: str = '',
        prefix_hint: str = '',
        skip_shape_check: Sequence[str] = ('pos_embed', ),
        wanted: str = 'model',
) -> Dict[str, torch.Tensor]:
    """Load part of a checkpoint into ``module``; every key must fit.

    The file is read weights-only, trusting mmengine's own checkpoint types
    (:func:`load_checkpoint_file`), and a leading ``module.`` is stripped from
    its weights (:func:`get_state_dict`). The first of ``prefixes`` that some
    key starts with (``''`` always matches) selects the keys under it, prefix
    stripped; keys then starting with one of ``ignore`` are dropped. Any
    missing, unexpected or wrongly shaped key (except names ending in one of
    ``skip_shape_check``, which the module resizes itself) raises
    :class:`CheckpointFormatError` before anything is loaded.

    Args:
        module: what to load into (``load_state_dict(strict=True)``).
        filename: the checkpoint file.
        prefixes: candidate key prefixes, tried in order.
        ignore: key prefixes that are not weights of ``module``, e.g.
            ``'data_preprocessor.'``.
        what: which weights for which model, for the mismatch error.
        hint: how to fix a mismatch.
        prefix_hint: how to fix a checkpoint with no key under any prefix.
        skip_shape_check: key endings whose shapes may differ.
        wanted: what the file should be (``'meta'``, ``'target'`` or
            ``'model'``): a file of this project's other kinds (a module,
            the meta model, a training checkpoint) that does not fit is
            named as such, with what to use instead
            (:func:`wrong_kind_message`).

    Returns:
        The state dict that was loaded.

    Example:
        >>> load_state_dict_strict(
        ...     backbone, 'final.pth', prefixes=('backbone.', ),
        ...     what='checkpoint "final.pth" for the backbone',
        ...     hint='Match the backbone config to the checkpoint.')
    """
    checkpoint = load_checkpoint_file(filename, trust_mmengine=True)
    state = get_state_dict(checkpoint, filename)
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    prefix = next((p for p in prefixes
                   if p == '' or any(k.startswith(p) for k in state)), None)
    if prefix is None:
        _raise_if_wrong_kind(filename, checkpoint, wanted)
        heads = sorted({k.split('.')[0] + '.' for k in state})
        wanted = (f'the prefix "{prefixes[0]}"' if len(prefixes) == 1 else
                  f'any of the prefixes {list(prefixes)}')
        raise CheckpointFormatError(
            f'Checkpoint "{filename}" has no keys under {wanted} (its keys '
            f'start with {heads[:10]}). {prefix_hint}'.rstrip())
    state = {
        k[len(prefix):]: v
        for k, v in state.items()
        if k.startswith(prefix) and not k[len(prefix):].startswith(
            tuple(ignore))
    }
    mismatches = state_dict_mismatches(
        module.state_dict(), state, skip_shape_check=tuple(skip_shape_check))
    if any(mismatches.values()):
        _raise_if_wrong_kind(filename, checkpoint, wanted)
    raise_on_mismatch(mismatches, what or f'checkpoint "{filename}"', hint)
    module.load_state_dict(state, strict=True)
    return state


def _raise_if_wrong_kind(filename: str, checkpoint, wanted: str) -> None:
    message = wrong_kind_message(filename, checkpoint, wanted)
    if message is not None:
        raise CheckpointFormatError(message)
