"""Checkpoint I/O under a weights-only policy.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``: tensors and
plain containers only, nothing that could run code. mmengine 0.10.7's training
checkpoints also carry a few of its own data types (the message hub's
``HistoryBuffer`` and numpy scalars, arrays and dtypes). mmincubate trusts
exactly those types, and only while reading training checkpoints (resume,
``load_from``, a meta-model checkpoint). External weight files (converters,
``init_cfg=dict(type='Pretrained')``) stay on plain weights-only loading.
A file that needs anything else is refused with :class:`UnsafeCheckpointError`
before any of its code can run.

Example:
    >>> from mmincubate.utils import load_checkpoint_file, save_checkpoint_atomic
    >>> ckpt = load_checkpoint_file('work_dirs/x/epoch_3.pth', trust_mmengine=True)
    >>> save_checkpoint_atomic({'state_dict': ckpt['state_dict']}, 'weights.pth')
"""
import contextlib
import json
import os
import os.path as osp
import pickle
import tempfile
from typing import (Any, Callable, Dict, Iterator, List, NoReturn, Optional,
                    Union)

import numpy as np
import torch

__all__ = [
    'UnsafeCheckpointError', 'CheckpointFormatError', 'mmengine_trusted_globals',
    'trust_mmengine_checkpoints', 'load_checkpoint_file',
    'save_checkpoint_atomic', 'get_state_dict', 'CHECKPOINT_READ_ERRORS',
    'raise_checkpoint_read_error',
    'PortableHistoryBuffer', 'make_message_hub_portable'
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds pickled objects outside the trusted set."""


class CheckpointFormatError(ValueError):
    """A checkpoint is unreadable or lacks what it should hold."""


def _portable_history_buffer_cls():
    from mmengine.logging.history_buffer import HistoryBuffer

    class PortableHistoryBuffer(HistoryBuffer):
        """A ``HistoryBuffer`` that pickles its data only.

        mmengine's ``HistoryBuffer.__getstate__`` also pickles its statistics
        functions, which unpickling reaches through ``getattr``: a global
        weights-only loading must never trust. The defaults (min, max,
        current, mean) are re-registered on load anyway.
        """

        def __getstate__(self) -> dict:
            return {k: v for k, v in self.__dict__.items()
                    if k != 'statistics_methods'}

    PortableHistoryBuffer.__module__ = __name__
    PortableHistoryBuffer.__qualname__ = 'PortableHistoryBuffer'
    return PortableHistoryBuffer


PortableHistoryBuffer = _portable_history_buffer_cls()


def make_message_hub_portable(checkpoint: dict) -> None:
    """Swap the message hub's buffers in a checkpoint about to be saved for
    :class:`PortableHistoryBuffer` (same data, no pickled functions)."""
    scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
    for key, buffer in list(scalars.items()):
        portable = PortableHistoryBuffer.__new__(PortableHistoryBuffer)
        portable.__dict__.update({
            k: v
            for k, v in buffer.__dict__.items() if k != 'statistics_methods'
        })
        scalars[key] = portable


def mmengine_trusted_globals() -> List[Any]:
    """The exact non-tensor types of mmengine 0.10.7 training checkpoints
    as :class:`ExactResumeRunner` writes them.

    The message hub's buffers (:class:`PortableHistoryBuffer`), and numpy
    arrays, scalars and dtypes (logged values, ``np.random`` states). Each is
    a data container whose unpickling runs no user code. ``getattr``, which
    a stock mmengine checkpoint needs for its buffers' functions, is not
    trusted: such a file is refused.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    multiarray = getattr(np, '_core', np.core).multiarray
    trusted: List[Any] = [
        PortableHistoryBuffer,
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        multiarray._reconstruct,
        multiarray.scalar,
    ]
    # numpy >= 1.25 pickles dtypes through their concrete classes.
    trusted += [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGSUV']
    trusted.append(type(np.dtype('O')))
    return trusted


@contextlib.contextmanager
def trust_mmengine_checkpoints() -> Iterator[None]:
    """Within this block, weights-only loading also accepts mmengine's types."""
    with torch.serialization.safe_globals(mmengine_trusted_globals()):
        yield


#: what ``torch.load`` raises for a file it cannot (or, weights-only, will not)
#: read; :func:`raise_checkpoint_read_error` translates them
CHECKPOINT_READ_ERRORS = (pickle.UnpicklingError, EOFError, RuntimeError,
                          ValueError, IndexError, KeyError, TypeError,
                          AttributeError)


def raise_checkpoint_read_error(filename: str,
                                error: BaseException) -> NoReturn:
    """Raise the error for ``torch.load`` having failed on ``filename``.

    The one translation wherever mmincubate reads a checkpoint
    (:func:`load_checkpoint_file`, ``ExactResumeRunner.load_checkpoint``),
    so a failure reads the same on every path:

    - a weights-only refusal: :class:`UnsafeCheckpointError` naming the file,
      the global it needed and how to re-save the tensors;
    - any other unreadable content (truncated, corrupt, not a checkpoint):
      :class:`CheckpointFormatError`;
    - out of memory is no fault of the file: ``error`` is re-raised unchanged.

    Call it from an ``except CHECKPOINT_READ_ERRORS`` clause.
    """
    if isinstance(error, torch.cuda.OutOfMemoryError):
        raise error
    if (isinstance(error, pickle.UnpicklingError)
            and 'Weights only load failed' in str(error)):
        detail = str(error).strip().splitlines()
        reason = next((line.strip() for line in detail
                       if 'GLOBAL' in line or 'Unsupported' in line),
                      detail[0] if detail else repr(error))
        raise UnsafeCheckpointError(
            f'Refusing to load "{filename}": it holds pickled objects outside '
            f'the weights-only set ({reason}). Unpickling them could run '
            'arbitrary code, so nothing from the file was executed. If the '
            'file comes from a source you trust, re-save its tensors only '
            '(for example `torch.save(obj["state_dict"], "weights.pth")` in a '
            'trusted environment) or convert it with '
            'tools/model_converters/.') from error
    raise CheckpointFormatError(
        f'"{filename}" is not a readable torch checkpoint '
        f'({type(error).__name__}: {error}). Is it truncated or corrupt? '
        'Copy or save it again.') from error


def load_checkpoint_file(filename: str,
                         map_location: Union[str, Callable, None] = 'cpu',
                         trust_mmengine: bool = False,
                         mmap: bool = False) -> Any:
    """Load a local checkpoint with ``weights_only=True``.

    Args:
        filename: path of the file.
        map_location: as in :func:`torch.load`.
        trust_mmengine: also accept the types of mmengine's own training
            checkpoints (:func:`mmengine_trusted_globals`).
        mmap: map the tensors of a zip-format file instead of reading them
            (for a look at a large file's keys and ``meta``).

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafeCheckpointError: the file needs globals outside the trusted set.
        CheckpointFormatError: the file is not a PyTorch checkpoint
            (:func:`check_torch_checkpoint`) or not a readable one.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint "{filename}" does not exist.')
    from .checkpoint_kinds import check_torch_checkpoint
    is_zip = check_torch_checkpoint(filename)
    context = (trust_mmengine_checkpoints()
               if trust_mmengine else contextlib.nullcontext())
    try:
        with context:
            return torch.load(filename, map_location=map_location,
                              weights_only=True, mmap=mmap and is_zip)
    except CHECKPOINT_READ_ERRORS as error:
        raise_checkpoint_read_error(filename, error)


def get_state_dict(checkpoint: Any, filename: str = '<checkpoint>',
                   key: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """Return the weights of a loaded checkpoint.

    Accepts a bare state dict or a dict holding it under ``key`` or, when
    ``key`` is None, the first of ``state_dict``, ``model``, ``module``.
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointFormatError(
            f'"{filename}" holds a {type(checkpoint).__name__}, not a dict '
            'of weights.')
    keys = [key] if key is not None else ['state_dict', 'model', 'module']
    for name in keys:
        if name in checkpoint and isinstance(checkpoint[name], dict):
            return checkpoint[name]
    if key is not None:
        raise CheckpointFormatError(
            f'"{filename}" has no "{key}" entry; it has: '
            f'{sorted(checkpoint)[:20]}')
    if checkpoint and all(isinstance(v, torch.Tensor)
                          for v in checkpoint.values()):
        return checkpoint
    raise CheckpointFormatError(
        f'"{filename}" holds no state dict (looked for {keys} or a flat dict '
        f'of tensors); top-level keys: {sorted(checkpoint)[:20]}')


def current_umask() -> int:
    """The process's umask (read without changing it where Linux allows)."""
    with contextlib.suppress(OSError, ValueError):
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def write_atomic(filename: str, write: Callable[[Any], None],
                 binary: bool = True) -> None:
    """Call ``write(file)`` on a temporary file beside ``filename``, then
    rename it into place.

    A reader never sees a half-written file: either the old file (or none) or
    the complete new one. The file gets the mode a plain ``open`` would give
    it (``0o666`` less the umask), not the temporary file's ``0o600``, so
    teammates on a shared file system can read it.
    """
    filename = osp.abspath(osp.expanduser(str(filename)))
    directory = osp.dirname(filename)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filename)}.',
                               suffix='.tmp', dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, 'wb' if binary else 'w') as f:
            write(f)
        commit_file(tmp, filename)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def commit_file(tmp: str, filename: str) -> None:
    """Put the finished file ``tmp`` in place of ``filename``: its data on
    disk first (fsync), then one rename, so a reader sees the old file or
    the whole new one."""
    with open(tmp, 'rb+') as f:
        os.fsync(f.fileno())
    os.replace(tmp, filename)


def save_checkpoint_atomic(obj: Any, filename: str) -> None:
    """``torch.save`` atomically (:func:`write_atomic`)."""
    write_atomic(filename, lambda f: torch.save(obj, f))


def dump_json_atomic(obj: Any, filename: str) -> None:
    """``json.dump`` (indented) atomically (:func:`write_atomic`)."""
    write_atomic(filename, lambda f: json.dump(obj, f, indent=2),
                 binary=False)
