"""Checkpoint files in, checkpoint files out: what the command-line tools in
``tools/model_converters/`` run."""
from typing import Any, Callable, Dict, Tuple

from .layouts import Logger, StateDict, report
from .mmseg import mmpretrain_to_mmseg
from .release import deep_incubation_to_mmpretrain
from .timm import mmpretrain_to_timm, timm_to_mmpretrain


def _read_weights(checkpoint: Any, filename: str) -> StateDict:
    """The state dict of a loaded weights file (``state_dict`` etc. or bare).
    """
    from mmincubate.utils.checkpoint import get_state_dict
    return get_state_dict(checkpoint, filename)


def _read_whole(checkpoint: Any, filename: str) -> Any:
    """The loaded file as it is (a release file holds more than weights)."""
    return checkpoint


#: direction -> (reader of the loaded file, converter, output is timm-plain)
DIRECTIONS: Dict[str, Tuple[Callable[..., Any], Callable[..., StateDict],
                            bool]] = {
    'timm->mmpretrain': (_read_weights, timm_to_mmpretrain, False),
    'mmpretrain->timm': (_read_weights, mmpretrain_to_timm, True),
    'deep_incubation->mmpretrain':
    (_read_whole, deep_incubation_to_mmpretrain, False),
    'mmpretrain->mmseg': (_read_weights, mmpretrain_to_mmseg, False),
}


def convert_file(src: str,
                 dst: str,
                 direction: str,
                 trust_mmengine: bool = False,
                 logger: Logger = print,
                 **kwargs: Any) -> StateDict:
    """Load ``src`` weights-only, convert, save ``dst`` atomically.

    mmpretrain/mmseg outputs are saved as ``{'state_dict': ...}``, timm
    outputs as a plain state dict. ``trust_mmengine`` also accepts the
    mmengine data types of training checkpoints (nothing else). Extra
    ``kwargs`` go to the converter (e.g. ``prefix`` for mmseg).

    Example:
        >>> convert_file('deit_small.pth', 'deit_small_mmpre.pth',
        ...              'timm->mmpretrain')
    """
    from mmincubate.utils.checkpoint import (load_checkpoint_file,
                                             save_checkpoint_atomic)
    if direction not in DIRECTIONS:
        raise ValueError(f'unknown direction {direction!r}; choose from '
                         f'{sorted(DIRECTIONS)}')
    read, convert, plain = DIRECTIONS[direction]
    checkpoint = _load(src, direction, trust_mmengine)
    state = convert(read(checkpoint, src), logger=logger, **kwargs)
    save_checkpoint_atomic(state if plain else {'state_dict': state}, dst)
    report(logger, f'saved {len(state)} tensors to {dst}')
    return state


def _load(src: str, direction: str, trust_mmengine: bool) -> Any:
    """Read ``src``; a training checkpoint refused only for mmengine's own
    data types is named as such, with the option that reads it."""
    from mmincubate.utils.checkpoint import (UnsafeCheckpointError,
                                             load_checkpoint_file)
    try:
        return load_checkpoint_file(src, trust_mmengine=trust_mmengine)
    except UnsafeCheckpointError:
        if trust_mmengine or not direction.startswith('mmpretrain->'):
            raise
        try:  # would mmengine's trusted types alone make it readable?
            load_checkpoint_file(src, trust_mmengine=True)
        except UnsafeCheckpointError:
            raise  # it needs more than mmengine's types: refused as it was
        raise UnsafeCheckpointError(
            f'"{src}" is a training checkpoint written by mmengine (it holds '
            "the message hub's and numpy's data types besides the weights). "
            'Nothing in it was run. This tool reads exactly those types '
            'when asked: add --trust-mmengine.') from None
