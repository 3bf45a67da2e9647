"""CIFAR-10's training images from the sources a user has, read safely: an
archive or folder of ``train/<class>/<file>`` images, or the official python
batches that torchvision downloads (``tools/dataset_converters/
prepare_cifar10.py`` writes them as image folders through
:mod:`.cifar10_folders`).

Archives are never extracted blindly: a member with an absolute path, a
``..`` component, or one that is a link or a device is refused before
anything is written. The official batches are pickles, read with an
unpickler that accepts only numpy arrays and plain containers, so a
tampered file cannot run code.

Example:
    >>> plan, tar = plan_from_tar('train.tar.gz')  # (class, name) -> bytes
"""
import os
import os.path as osp
import pickle
import tarfile
import zlib
from typing import Callable, Dict, List, Optional, Sequence, Tuple

CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png')
IMAGE_MAGIC = {
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
