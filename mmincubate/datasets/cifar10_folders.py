"""CIFAR-10 written as image folders (``OUT_DIR/{train,val}/<class>/``)
from a plan of :mod:`.cifar10_sources`: the validation split carved from
the training images (the last N of every class by name), every file checked
to be the image its name says, written under paths built here, into a
temporary folder beside OUT_DIR that is renamed into place at the end (OUT_DIR
is complete or untouched).

Example:
    >>> prepare('train.tar.gz', 'data/cifar10', val_per_class=500)
"""
import contextlib
import os
import os.path as osp
import shutil
import tempfile
from typing import Callable, Dict, List, Optional

from .cifar10_sources import (CLASSES, IMAGE_MAGIC, TORCHVISION_FOLDER, Plan,
                              PrepareError, plan_from_dir, plan_from_tar,
                              plan_from_torchvision)


def split_plan(plan: Plan, val_per_class: int, limit_per_class: Optional[int],
               src: str) -> Dict[str, Dict[str, List[str]]]:
    """{'train'|'val': {class: [file names]}}."""
    if not plan:
        raise PrepareError(f'{src} holds no images (.jpg/.jpeg/.png) at '
                           'train/<class>/<file> or <class>/<file>.')
    by_class: Dict[str, List[str]] = {}
    for cls, name in plan:
        by_class.setdefault(cls, []).append(name)
    if set(by_class) != set(CLASSES):
        raise PrepareError(
            f'{src} is not CIFAR-10: its classes are {sorted(by_class)}, '
            f'expected {list(CLASSES)}.')
    splits: Dict[str, Dict[str, List[str]]] = {'train': {}, 'val': {}}
    for cls in CLASSES:
        names = sorted(by_class[cls])
        if limit_per_class is not None:
            names = names[:limit_per_class]
        if len(names) <= val_per_class:
            raise PrepareError(
                f'class "{cls}" has {len(names)} images (after '
                f'--limit-per-class); --val-per-class {val_per_class} would '
                'leave none for training.')
        splits['train'][cls] = names[:len(names) - val_per_class]
        splits['val'][cls] = names[len(names) - val_per_class:]
    return splits


def _check_image(data: bytes, cls: str, name: str, src: str) -> None:
    magic = IMAGE_MAGIC[osp.splitext(name)[1].lower()]
    if not data.startswith(magic):
        raise PrepareError(f'{src}: {cls}/{name} is not a valid '
                           f'{osp.splitext(name)[1]} image.')


def prepare_out_dir(out_dir: str, force: bool) -> str:
    """Check OUT_DIR; return the temporary folder to write into."""
    out_dir = osp.abspath(out_dir)
    if osp.exists(out_dir):
        if not osp.isdir(out_dir):
            raise PrepareError(f'{out_dir} exists and is not a directory.')
        if os.listdir(out_dir) and not force:
            raise PrepareError(f'{out_dir} exists and is not empty; pass '
                               '--force to replace it.')
    parent = osp.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    return tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.tmp-',
                            dir=parent)


def commit_out_dir(tmp: str, out_dir: str) -> None:
    """Move the finished temporary folder to OUT_DIR (replacing it)."""
    out_dir = osp.abspath(out_dir)
    old = None
    if osp.exists(out_dir):
        old = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.old-',
                               dir=osp.dirname(out_dir))
        os.rename(out_dir, osp.join(old, 'previous'))
    os.rename(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old)


def prepare(src: str,
            out_dir: str,
            val_per_class: int = 500,
            limit_per_class: Optional[int] = None,
            force: bool = False,
            from_torchvision_root: bool = False,
            log: Callable[[str], None] = print) -> Dict[str, Dict[str, int]]:
    """Write OUT_DIR/{train,val}/<class>/ from SRC; return the counts."""
    if val_per_class < 1:
        raise PrepareError('--val-per-class must be at least 1.')
    if limit_per_class is not None and limit_per_class < 1:
        raise PrepareError('--limit-per-class must be at least 1.')
    if not osp.exists(src):
        raise PrepareError(f'{src} does not exist (see --help for how to get '
                           'CIFAR-10).')
    tar = None
    if from_torchvision_root:
        if not osp.isdir(src):
            raise PrepareError(f'--from-torchvision-root: {src} is not a '
                               'directory.')
        plan = plan_from_torchvision(src)
    elif osp.isdir(src):
        if osp.isdir(osp.join(src, TORCHVISION_FOLDER)):
            raise PrepareError(f'{src} holds {TORCHVISION_FOLDER}/: add '
                               '--from-torchvision-root.')
        plan = plan_from_dir(src)
    else:
        plan, tar = plan_from_tar(src)
    with contextlib.ExitStack() as stack:
        if tar is not None:
            stack.callback(tar.close)
        splits = split_plan(plan, val_per_class, limit_per_class, src)
        destination = {
            (cls, name): split
            for split, classes in splits.items()
            for cls, names in classes.items()
            for name in names
        }
        tmp = prepare_out_dir(out_dir, force)
        try:
            for split, classes in splits.items():
                for cls in classes:
                    os.makedirs(osp.join(tmp, split, cls))
            # in the source's own order (forward only in an archive)
            for (cls, name), read in plan.items():
                split = destination.get((cls, name))
                if split is None:
                    continue
                data = read()
                _check_image(data, cls, name, src)
                with open(osp.join(tmp, split, cls, name), 'wb') as f:
                    f.write(data)
            commit_out_dir(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    counts = {
        split: {
            cls: len(names)
            for cls, names in classes.items()
        }
        for split, classes in splits.items()
    }
    for split in ('train', 'val'):
        per_class = ', '.join(f'{c} {n}' for c, n in counts[split].items())
        log(f'{split}: {sum(counts[split].values())} images ({per_class})')
    log(f'wrote {osp.abspath(out_dir)}')
    return counts
