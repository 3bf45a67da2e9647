r"""Prepare CIFAR-10 as image folders for ``configs/_base_/datasets/
cifar10_folder.py`` (mmpretrain ``CustomDataset``).

    python tools/dataset_converters/prepare_cifar10.py SRC OUT_DIR \
        [--val-per-class 500] [--limit-per-class N] [--force]
        [--from-torchvision-root]

Writes the ImageNet-style layout::

    OUT_DIR/train/<class>/<name>      45,000 images (4,500 per class)
    OUT_DIR/val/<class>/<name>         5,000 images (the LAST 500 per class)

The validation split is carved out of the training images: in every class
the files are sorted by name and the last ``--val-per-class`` go to ``val``.
``--limit-per-class N`` first keeps only the first N (by name) of every
class, for quick experiments and tests.

SRC is one of:

* a ``.tar`` / ``.tar.gz`` holding ``train/<class>/NNNN.jpg`` (or
  ``<class>/NNNN.jpg``), e.g. the 50,000 training images as 32x32 JPEG;
* a directory with that layout (such an archive, already extracted);
* with ``--from-torchvision-root``: the root folder that
  ``torchvision.datasets.CIFAR10(root, train=True, download=True)`` filled
  (it holds ``cifar-10-batches-py/``). Images are written as lossless PNG
  ``NNNN.png``, numbered per class in the order of the official batches.

Without a ready-made archive, get the official data once with torchvision
(installed with mmincubate; the download is the 163 MB python version from
https://www.cs.toronto.edu/~kriz/cifar.html, checked by its MD5) and convert:

    python -c "import torchvision; torchvision.datasets.CIFAR10(\
'data/torchvision', train=True, download=True)"
    python tools/dataset_converters/prepare_cifar10.py data/torchvision \
        data/cifar10 --from-torchvision-root

The official batches are Python pickles; they are read with an unpickler
that accepts only numpy arrays and plain containers, so a tampered file
cannot run code. Archives are never extracted blindly either: a member with
an absolute path, a ``..`` component, or one that is a link or a device is
refused before anything is written, and every file is written under a path
the tool builds itself. The output goes to a temporary folder beside
OUT_DIR that is renamed into place at the end, so OUT_DIR is either
complete or untouched; a non-empty OUT_DIR is replaced only with
``--force``.

Exits with status 1 and a message (``error: ...``) when SRC is missing or
not CIFAR-10, or OUT_DIR cannot be written.
"""
import argparse
import contextlib
import os
import os.path as osp
import pickle
import shutil
import sys
import tarfile
import tempfile
import zlib
from typing import Callable, Dict, List, Optional, Sequence, Tuple

CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png')
_MAGIC = {
    '.jpg': b'\xff\xd8\xff',
    '.jpeg': b'\xff\xd8\xff',
    '.png': b'\x89PNG\r\n\x1a\n'
}
TORCHVISION_FOLDER = 'cifar-10-batches-py'
TRAIN_BATCHES = tuple(f'data_batch_{i}' for i in range(1, 6))

#: (class, file name) -> function returning the file's bytes, in the
#: source's order (an archive is then read forward only)
Plan = Dict[Tuple[str, str], Callable[[], bytes]]


class PrepareError(Exception):
    """SRC or OUT_DIR is not usable; the message says why."""


# --------------------------------------------------------------------------
# sources
# --------------------------------------------------------------------------
def _split_image_path(parts: Sequence[str],
                      where: str) -> Optional[Tuple[str, str]]:
    """(class, file name) of ``[train/]<class>/<file>``; None for a file
    that is not an image; PrepareError for an image elsewhere."""
    name = parts[-1]
    if osp.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
        return None
    if len(parts) == 3 and parts[0] == 'train':
        parts = parts[1:]
    if len(parts) != 2:
        raise PrepareError(f'{where}: image "{"/".join(parts)}" is not at '
                           'train/<class>/<file> or <class>/<file>.')
    return parts[0], name


def _check_member(member: tarfile.TarInfo, src: str) -> List[str]:
    """The member's path parts; PrepareError if it is unsafe."""
    name = member.name
    if name.startswith(('/', '\\')) or (len(name) > 1 and name[1] == ':'):
        raise PrepareError(f'{src}: refusing the archive: member "{name}" has '
                           'an absolute path.')
    parts = [
        p for p in name.replace('\\', '/').split('/') if p not in ('', '.')
    ]
    if '..' in parts:
        raise PrepareError(f'{src}: refusing the archive: member "{name}" '
                           'contains "..".')
    if not (member.isfile() or member.isdir()):
        kind = 'a link' if (member.issym() or member.islnk()) else \
            'not a regular file'
        raise PrepareError(f'{src}: refusing the archive: member "{name}" is '
                           f'{kind}.')
    return parts


def plan_from_tar(src: str) -> Tuple[Plan, tarfile.TarFile]:
    """Check every member of the archive and index its images."""
    try:
        tar = tarfile.open(src, 'r:*')
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise PrepareError(f'{src} is not a readable tar archive '
                           f'({type(error).__name__}: {error}).') from error
    try:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            raise PrepareError(
                f'{src} is not a readable tar archive '
                f'({type(error).__name__}: {error}).') from error
        plan: Plan = {}
        parsed = [(m, _check_member(m, src)) for m in members]  # all first
        for member, parts in parsed:
            if not member.isfile() or not parts:
                continue
            found = _split_image_path(parts, src)
            if found is not None:
                plan[found] = (lambda m=member: _read_member(tar, m, src))
    except BaseException:
        tar.close()
        raise
    return plan, tar


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo,
                 src: str) -> bytes:
    try:
        return tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise PrepareError(f'{src}: cannot read "{member.name}" ({error}); '
                           'is the archive truncated?') from error


def plan_from_dir(src: str) -> Plan:
    root = osp.join(src, 'train') if osp.isdir(osp.join(src, 'train')) else src
    plan: Plan = {}
    for cls in sorted(os.listdir(root)):
        folder = osp.join(root, cls)
        if not osp.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            path = osp.join(folder, name)
            if osp.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
                continue
            if osp.islink(path) or not osp.isfile(path):
                raise PrepareError(f'{path} is a link or not a regular file; '
                                   'refusing to copy it.')
            plan[cls, name] = (lambda p=path: _read_file(p))
    return plan


def _read_file(path: str) -> bytes:
    with open(path, 'rb') as f:
        return f.read()


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers, nothing else."""

    def find_class(self, module: str, name: str):
        import numpy as np
        core = getattr(np, '_core', None) or np.core
        allowed = {
            ('numpy.core.multiarray', '_reconstruct'):
            core.multiarray._reconstruct,
            ('numpy._core.multiarray', '_reconstruct'):
            core.multiarray._reconstruct,
            ('numpy.core.multiarray', 'scalar'): core.multiarray.scalar,
            ('numpy._core.multiarray', 'scalar'): core.multiarray.scalar,
            ('numpy', 'ndarray'): np.ndarray,
            ('numpy', 'dtype'): np.dtype,
            ('_codecs', 'encode'): _latin1_encode,
        }
        if (module, name) in allowed:
            return allowed[module, name]
        if module == 'numpy.dtypes':  # numpy >= 1.25 dtype classes
            cls = getattr(np.dtypes, name, None)
            if isinstance(cls, type) and issubclass(cls, np.dtype):
                return cls
        raise pickle.UnpicklingError(
            f'refusing to unpickle {module}.{name}: only numpy arrays and '
            'plain containers are allowed in CIFAR-10 batches.')


def _latin1_encode(text: str, encoding: str = 'latin1') -> bytes:
    """``_codecs.encode`` as protocol-2 pickles of bytes use it."""
    if encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError(f'unexpected encoding {encoding!r}')
    return text.encode('latin1')


def _load_batch(path: str) -> dict:
    if not osp.isfile(path):
        raise PrepareError(f'{path} is missing; download the batches with '
                           'torchvision.datasets.CIFAR10(ROOT, train=True, '
                           'download=True) (see --help).')
    try:
        with open(path, 'rb') as f:
            batch = _ArrayUnpickler(f, encoding='latin1').load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError,
            AttributeError, IndexError) as error:
        raise PrepareError(f'{path} is not a CIFAR-10 batch '
                           f'({type(error).__name__}: {error}).') from error
    if not isinstance(batch, dict):
        raise PrepareError(f'{path} holds a {type(batch).__name__}, not a '
                           'CIFAR-10 batch dict.')
    return {
        k.decode('latin1') if isinstance(k, bytes) else k: v
        for k, v in batch.items()
    }


def _encode_png(pixels) -> bytes:
    import io

    import numpy as np
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format='PNG')
    return buffer.getvalue()


def plan_from_torchvision(root: str) -> Plan:
    """Index the training batches of torchvision's CIFAR10 download."""
    import numpy as np
    folder = root if osp.basename(osp.normpath(root)) == TORCHVISION_FOLDER \
        else osp.join(root, TORCHVISION_FOLDER)
    if not osp.isdir(folder):
        raise PrepareError(f'{root} has no {TORCHVISION_FOLDER}/ folder; '
                           'is it the root given to torchvision.datasets.'
                           'CIFAR10(root, download=True)?')
    meta = _load_batch(osp.join(folder, 'batches.meta'))
    names = [
        n.decode() if isinstance(n, bytes) else str(n)
        for n in meta.get('label_names', [])
    ]
    if tuple(names) != CLASSES:
        raise PrepareError(f'{folder}/batches.meta lists the classes {names},'
                           f' not CIFAR-10\'s {list(CLASSES)}.')
    plan: Plan = {}
    per_class = [0] * len(CLASSES)
    for batch_name in TRAIN_BATCHES:
        path = osp.join(folder, batch_name)
        batch = _load_batch(path)
        data, labels = batch.get('data'), batch.get('labels')
        if not (isinstance(data, np.ndarray) and data.dtype == np.uint8
                and data.ndim == 2 and data.shape[1] == 3 * 32 * 32
                and isinstance(labels, list) and len(labels) == len(data)
                and all(isinstance(x, int) and 0 <= x < 10 for x in labels)):
            raise PrepareError(
                f'{path}: expected "data" uint8 (N, 3072) and N "labels" in '
                '0..9.')
        images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        for image, label in zip(images, labels):
            name = f'{per_class[label]:04d}.png'
            per_class[label] += 1
            plan[CLASSES[label], name] = (lambda im=image: _encode_png(im))
    return plan


# --------------------------------------------------------------------------
# split and write
# --------------------------------------------------------------------------
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
    magic = _MAGIC[osp.splitext(name)[1].lower()]
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


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Prepare CIFAR-10 as train/val image folders.',
        epilog='See the module docstring (top of this file) for how to get '
        'CIFAR-10 without a ready-made archive.')
    parser.add_argument('src',
                        help='tar(.gz) or folder with '
                        'train/<class>/*.jpg, or a torchvision root with '
                        '--from-torchvision-root')
    parser.add_argument('out_dir', help='output folder (e.g. data/cifar10)')
    parser.add_argument('--val-per-class',
                        type=int,
                        default=500,
                        help='the last N images (by name) of every class go '
                        'to val (default 500)')
    parser.add_argument('--limit-per-class',
                        type=int,
                        default=None,
                        help='use only the first N images (by name) of every '
                        'class, before the split')
    parser.add_argument('--force',
                        action='store_true',
                        help='replace a non-empty OUT_DIR')
    parser.add_argument('--from-torchvision-root',
                        action='store_true',
                        help='SRC is the root of torchvision.datasets.CIFAR10'
                        '(root, download=True), holding cifar-10-batches-py/')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        prepare(args.src, args.out_dir, args.val_per_class,
                args.limit_per_class, args.force, args.from_torchvision_root)
    except (PrepareError, OSError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
