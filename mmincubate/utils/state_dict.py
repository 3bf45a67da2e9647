"""Strict state-dict fitting with errors that list the offending keys."""
from typing import Dict, List, Mapping

import torch

from .checkpoint import CheckpointFormatError

__all__ = ['state_dict_mismatches', 'raise_on_mismatch']


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
