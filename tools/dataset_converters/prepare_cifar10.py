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
import sys
from typing import Optional, Sequence

from mmincubate.datasets.cifar10_folders import prepare
from mmincubate.datasets.cifar10_sources import CLASSES, PrepareError

__all__ = ['CLASSES', 'main', 'prepare']


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
