"""scikit-learn's bundled 8x8 digits, read without importing scikit-learn.

``sklearn.datasets.load_digits`` reads one file that scikit-learn ships,
``sklearn/datasets/data/digits.csv.gz`` (1,797 rows: 64 pixel values from 0
to 16, then the label). Importing ``sklearn.datasets`` for it costs a fresh
process about 1.4 s of CPU (scikit-learn imports SciPy), more than reading
the file takes: a digits run in a new process (``tools/train.py``, every
rank of ``torchrun``, a resumed job) paid it at every start.

:func:`load_bundled_digits` finds the package without importing it and
reads the file the way ``load_digits`` does (``np.loadtxt``, float64
pixels, integer labels). Where scikit-learn no longer ships that file, it
calls ``load_digits`` itself. The file's place is scikit-learn's own
layout, not its API: ``tests/test_utils/test_sklearn_compat.py`` fails
when it moves or when the two readings differ.

Example:
    >>> images, labels = load_bundled_digits()
    >>> images.shape, labels.shape
    ((1797, 8, 8), (1797,))
"""
import gzip
import importlib.util
import os.path as osp
from typing import Optional, Tuple

import numpy as np

#: where ``load_digits`` reads the data, inside the scikit-learn package
DIGITS_FILE = ('datasets', 'data', 'digits.csv.gz')


def bundled_digits_file() -> Optional[str]:
    """The path of scikit-learn's ``digits.csv.gz``, or None where
    scikit-learn or the file is absent. Imports nothing."""
    spec = importlib.util.find_spec('sklearn')
    if spec is None or not spec.submodule_search_locations:
        return None
    for package_dir in spec.submodule_search_locations:
        path = osp.join(package_dir, *DIGITS_FILE)
        if osp.isfile(path):
            return path
    return None


def load_bundled_digits() -> Tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: float64 images of shape (1797, 8, 8) with
    values 0..16 and int64 labels, as ``load_digits()`` returns them in
    ``images`` and ``target``.

    Raises:
        ImportError: scikit-learn is not installed.
    """
    path = bundled_digits_file()
    if path is None:
        try:
            from sklearn.datasets import load_digits
        except ImportError as error:
            raise ImportError(
                'The digits data set ships with scikit-learn, which is not '
                'installed: pip install scikit-learn (bash tools/install.sh '
                'installs it).') from error
        digits = load_digits()
        return digits.images, digits.target
    with gzip.open(path, mode='rt', encoding='utf-8') as f:
        table = np.loadtxt(f, delimiter=',')
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(int)
