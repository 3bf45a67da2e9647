"""Which checkpoint ``--resume`` without a path continues from.

Example:
    >>> path = find_resumable_checkpoint('work_dirs/vit_tiny_k4_digits')
"""
import contextlib
import glob
import logging
import os.path as osp
import re
from typing import Optional

from mmengine.logging import print_log


def _inside(path: str, directory: str) -> bool:
    path, directory = osp.realpath(path), osp.realpath(directory)
    return osp.commonpath([path, directory]) == directory


def _warn(message: str) -> None:
    print_log(message, logger='current', level=logging.WARNING)


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The work_dir's own checkpoint to resume from, or None.

    - The file ``last_checkpoint`` names, if it exists inside ``work_dir``.
    - If it names a file outside ``work_dir`` (a copied or moved work_dir
      still names the original's files), that file is not used: the
      work_dir's own file of the same name is, or else its newest.
    - Else (no ``last_checkpoint``, or it names a removed file after an
      interrupted run) the newest ``epoch_N.pth`` / ``iter_N.pth`` in
      ``work_dir``; the atomic writes guarantee it is complete.

    A checkpoint outside the work_dir is resumed only when named:
    ``--resume PATH``.
    """
    named = None
    with contextlib.suppress(FileNotFoundError):
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            named = f.read().strip() or None
    if named is not None and '://' in named:
        return named
    if named is not None and osp.isfile(named):
        if _inside(named, work_dir):
            return named
        own = osp.join(work_dir, osp.basename(named))
        if osp.isfile(own):
            _warn(f'last_checkpoint names {named!r}, outside this work_dir '
                  f'{work_dir!r} (a copied work_dir?); resuming from the '
                  f"work_dir's own {own} instead. To continue from the "
                  f'other file, name it: --resume {named}')
            return own
        _warn(f'last_checkpoint names {named!r}, outside this work_dir '
              f'{work_dir!r} (a copied work_dir?); it is not used. To '
              f'continue from it, name it: --resume {named}')
        named = None
    found = [
        path for path in glob.glob(osp.join(work_dir, '*.pth'))
        if re.fullmatch(r'(epoch|iter)_\d+\.pth', osp.basename(path))
    ]
    if not found:
        return None
    newest = max(found, key=_checkpoint_order)
    if named is not None:
        _warn(f'last_checkpoint names {named!r}, which does not exist (the '
              f'previous run was interrupted); resuming from {newest} '
              'instead.')
    return newest


def _checkpoint_order(path: str) -> tuple:
    """Newest first by modification time, then by the number in the name
    (a copy may give every file the same time)."""
    number = int(re.findall(r'\d+', osp.basename(path))[-1])
    return osp.getmtime(path), number
