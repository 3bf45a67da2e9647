"""What a file given as a checkpoint is, and what to use instead.

Two questions asked before weights are fitted, so that an error names the
real problem rather than a list of keys:

- is it a PyTorch checkpoint at all (:func:`check_torch_checkpoint`)?
- which of this project's kinds is it (:func:`checkpoint_kind`): a module of
  an incubation run, an exported meta model, assembled or fine-tuned target,
  or a training checkpoint (``epoch_N.pth`` / ``iter_N.pth``)?

Example:
    >>> check_torch_checkpoint('work_dirs/run/meta.pth')   # or raises
    >>> message = wrong_kind_message('module_1.pth', ckpt, wanted='meta')
"""
import json
import os.path as osp
from typing import Any, NoReturn, Optional

from .checkpoint import (CheckpointFormatError, get_state_dict,
                         load_checkpoint_file)

#: what a file given as a checkpoint should be, by use
WANTED = ('meta', 'target', 'model')

_ZIP = b'PK\x03\x04'  # torch.save since torch 1.6
_USE_INSTEAD = ('Give a file written by torch.save: a work_dir\'s '
                'epoch_N.pth or iter_N.pth, or an exported meta.pth, '
                'assembled.pth or final.pth.')


def _looks_like(head: bytes) -> str:
    if not head:
        return 'the file is empty'
    text = head.lstrip()
    if text[:1] in (b'{', b'['):
        try:
            json.loads(head.decode('utf-8'))
            return 'it holds JSON'
        except ValueError:
            return f'it starts like JSON or text ({head[:32]!r})'
    try:
        sample = head.decode('utf-8')
    except UnicodeDecodeError:
        return f'it starts with the bytes {head[:16]!r}'
    if all(c.isprintable() or c in '\r\n\t' for c in sample):
        return f'it is text, starting {sample[:40]!r}'
    return f'it starts with the bytes {head[:16]!r}'


def check_torch_checkpoint(filename: str) -> bool:
    """Raise :class:`CheckpointFormatError` unless ``filename`` starts as a
    file written by ``torch.save`` does (a zip archive, or a pickle for the
    legacy format), before anything tries to unpickle it; whether it is a
    zip archive."""
    with open(filename, 'rb') as f:
        head = f.read(4096)
    if head.startswith(_ZIP):
        return True
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return False
    raise CheckpointFormatError(
        f'"{filename}" is not a PyTorch checkpoint: {_looks_like(head)}. '
        f'{_USE_INSTEAD}')


def checkpoint_kind(checkpoint: Any) -> dict:
    """``dict(kind=...)`` of a loaded checkpoint, with details:

    - ``'module'`` (``index``, ``num_modules``): ``module_<i>.pth``;
    - ``'meta'``, ``'assembled'``, ``'final'``: the classifiers an
      incubation run exports;
    - ``'incubation training'``: a training checkpoint of an incubation run
      (the meta model and the target together);
    - ``'training'``: any other mmengine training checkpoint;
    - ``'weights'``: anything else (a plain state dict, a converted file).
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    if meta.get('kind') == 'mmincubate.module':
        return dict(kind='module', index=meta.get('index'),
                    num_modules=meta.get('num_modules'))
    if meta.get('kind') == 'mmincubate.classifier' and meta.get('role'):
        return dict(kind=str(meta['role']))
    if isinstance(checkpoint, dict) and 'message_hub' in checkpoint:
        state = checkpoint.get('state_dict') or {}
        roots = {str(k).split('.')[0] for k in state}
        if {'meta', 'target'} <= roots:
            return dict(kind='incubation training')
        return dict(kind='training')
    return dict(kind='weights')


def wrong_kind_message(filename: str, checkpoint: Any,
                       wanted: str) -> Optional[str]:
    """Why ``checkpoint`` (read from ``filename``) is not what was
    ``wanted`` (one of :data:`WANTED`) and what to use instead; None when
    its kind does not explain a mismatch."""
    if wanted not in WANTED:
        raise ValueError(f'wanted must be one of {WANTED}, not {wanted!r}')
    found = checkpoint_kind(checkpoint)
    kind = found['kind']
    if kind == 'module':
        head = (f'"{filename}" is the checkpoint of module {found["index"]} '
                f'(of {found["num_modules"]}) that an incubation run '
                'exports, not a whole model.')
        if wanted == 'meta':
            return (f'{head} A meta model is the meta.pth of the run that '
                    'trained it: set model.meta_checkpoint=<run>/meta.pth.')
        return (f'{head} Assemble the modules first: python tools/assemble.py '
                '<run>/module_0.pth ... <run>/module_<K-1>.pth --out '
                'assembled.pth, then use assembled.pth.')
    if kind == 'meta' and wanted != 'meta':
        return (f'"{filename}" is the meta model an incubation run exports '
                '(one block per module), not the target: use that run\'s '
                'assembled.pth or final.pth, or a config of the meta model.')
    if kind in ('assembled', 'final') and wanted == 'meta':
        return (f'"{filename}" is the {kind} target an incubation run '
                'exports, not a meta model: set model.meta_checkpoint to '
                'that run\'s meta.pth.')
    if kind == 'incubation training' and wanted != 'meta':
        return (f'"{filename}" is a training checkpoint of an incubation run '
                '(the meta model and the target together): use the '
                'assembled.pth or final.pth that run exported into its '
                'work_dir.')
    return None


def raise_model_load_error(filename: str, error: BaseException) -> NoReturn:
    """Raise the clear error for ``filename`` having failed to load into a
    runner's model with ``error`` (call it from an ``except
    CHECKPOINT_READ_ERRORS`` clause).

    The file is read again (weights-only, its tensors mapped, not copied) to
    say what it is: unreadable or refused (the error of
    :func:`load_checkpoint_file`), no dict of weights, or one of this
    project's other kinds (:func:`wrong_kind_message`). Otherwise, or for a
    file that is not local, ``error`` is raised unchanged.
    """
    if not osp.isfile(filename):
        raise error
    checkpoint = load_checkpoint_file(filename, trust_mmengine=True,
                                      mmap=True)
    get_state_dict(checkpoint, filename)
    message = wrong_kind_message(filename, checkpoint, 'model')
    if message is None:
        raise error
    raise CheckpointFormatError(message) from error
