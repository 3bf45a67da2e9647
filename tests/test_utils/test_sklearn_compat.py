"""The digits come from scikit-learn's file without importing scikit-learn,
and are exactly what ``load_digits`` returns. Fails when scikit-learn moves
the file (then :mod:`mmincubate.sklearn_compat` needs its new place)."""
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmincubate import sklearn_compat
from tests.helpers import ROOT

load_digits = pytest.importorskip('sklearn.datasets').load_digits


def test_the_file_is_where_scikit_learn_reads_it():
    path = sklearn_compat.bundled_digits_file()
    assert path is not None, (
        'scikit-learn no longer ships datasets/data/digits.csv.gz: '
        'mmincubate.sklearn_compat.DIGITS_FILE needs its new place')
    import sklearn
    assert path == osp.join(osp.dirname(sklearn.__file__),
                            *sklearn_compat.DIGITS_FILE)


def test_same_arrays_as_load_digits():
    images, labels = sklearn_compat.load_bundled_digits()
    digits = load_digits()
    assert images.dtype == digits.images.dtype == np.float64
    assert labels.dtype == digits.target.dtype
    assert np.array_equal(images, digits.images)
    assert np.array_equal(labels, digits.target)
    assert images.shape == (1797, 8, 8)


def test_scikit_learn_stays_unimported():
    code = ('import sys; from mmincubate.sklearn_compat import '
            'load_bundled_digits; images, labels = load_bundled_digits(); '
            'print(len(labels), "sklearn" in sys.modules, '
            '"scipy" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert out.split() == ['1797', 'False', 'False']


def test_without_the_file_load_digits_reads_it(monkeypatch):
    monkeypatch.setattr(sklearn_compat, 'DIGITS_FILE',
                        ('datasets', 'data', 'no_such_file.csv.gz'))
    assert sklearn_compat.bundled_digits_file() is None
    images, labels = sklearn_compat.load_bundled_digits()
    assert np.array_equal(images, load_digits().images)
    assert labels.shape == (1797, )


def test_without_scikit_learn_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(sklearn_compat.importlib.util, 'find_spec',
                        lambda name: None)
    monkeypatch.setitem(sys.modules, 'sklearn.datasets', None)
    with pytest.raises(ImportError, match='pip install scikit-learn'):
        sklearn_compat.load_bundled_digits()
