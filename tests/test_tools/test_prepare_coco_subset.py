"""The COCO subset rebuilt from the clarifai 9.7.0 wheel equals the shared
copy, file for file."""
import filecmp
import json
import os
import os.path as osp
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import SHARED_DATA, run_tool

SHARED = osp.join(SHARED_DATA, 'coco_val2017_10')


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    dst = str(tmp_path_factory.mktemp('wheel'))
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'download', '--no-deps',
         '--only-binary=:all:', 'clarifai==9.7.0', '-d', dst],
        capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.skip('the package index is unreachable: ' + proc.stderr[-300:])
    return osp.join(dst, os.listdir(dst)[0])


def _run(*args):
    return run_tool('dataset_converters/prepare_coco_subset.py', *args)


def test_rebuilds_the_shared_subset(wheel, tmp_path):
    out = str(tmp_path / 'coco')
    proc = _run(out, '--wheel', wheel)
    assert proc.returncode == 0, proc.output
    assert '10 images, 77 annotations, 18 categories' in proc.output
    ann = osp.join(out, 'annotations/instances_val2017_subset.json')
    data = json.load(open(ann))
    assert len(data['images']) == 10
    if not osp.isdir(SHARED):
        pytest.skip(f'{SHARED} is absent: nothing to compare with')
    images = sorted(os.listdir(osp.join(SHARED, 'val2017')))
    assert sorted(os.listdir(osp.join(out, 'val2017'))) == images
    _, mismatch, errors = filecmp.cmpfiles(
        osp.join(SHARED, 'val2017'), osp.join(out, 'val2017'), images,
        shallow=False)
    assert not mismatch and not errors
    assert data == json.load(
        open(osp.join(SHARED, 'annotations/instances_val2017_subset.json')))


def test_bad_inputs(wheel, tmp_path):
    busy = tmp_path / 'busy'
    busy.mkdir()
    (busy / 'x').write_text('x')
    proc = _run(str(busy), '--wheel', wheel)
    assert proc.returncode != 0 and 'not empty' in proc.output
    other = tmp_path / 'other.whl'
    with zipfile.ZipFile(other, 'w') as zf:
        zf.writestr('pkg/__init__.py', '')
    with pytest.raises(ValueError, match='only clarifai 9.7.x'):
        _run(str(tmp_path / 'out'), '--wheel', str(other))
    assert not osp.exists(tmp_path / 'out')
    assert [p for p in os.listdir(tmp_path) if p.startswith('.coco')] == []
