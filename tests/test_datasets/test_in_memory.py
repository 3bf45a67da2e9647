"""InMemoryCustomDataset: the folder pipeline's samples, decoded once."""
import numpy as np
import pytest
import torch
from PIL import Image

from mmincubate.datasets import InMemoryCustomDataset
from mmincubate.registry import DATASETS

AUGMENT = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]


def image_folder(root, sizes=((32, 32), ) * 12, fmt='png'):
    """A folder of random lossless images in two classes."""
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate(sizes):
        cls = root / ('cat' if i % 2 else 'dog')
        cls.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(cls / f'{i:04d}.{fmt}')
    return root


def build(type_, root, pipeline, **kwargs):
    from mmengine.registry import init_default_scope
    init_default_scope('mmincubate')
    return DATASETS.build(dict(type=type_, data_root=str(root),
                               data_prefix='', pipeline=pipeline, **kwargs))


def test_same_samples_as_the_folder_pipeline(tmp_path):
    """From the same random state: the same crops, flips and labels."""
    root = image_folder(tmp_path / 'data')
    memory = build('InMemoryCustomDataset', root, AUGMENT)
    folder = build('CustomDataset', root,
                   [dict(type='LoadImageFromFile')] + AUGMENT)
    assert len(memory) == len(folder) == 12
    assert memory.images.shape == (12, 32, 32, 3)
    assert memory.images.dtype == np.uint8
    for seed in (0, 1):
        np.random.seed(seed)
        ours = [memory[i] for i in range(12)]
        np.random.seed(seed)
        theirs = [folder[i] for i in range(12)]
        for a, b in zip(ours, theirs):
            assert torch.equal(a['inputs'], b['inputs'])
            assert a['data_samples'].gt_label == b['data_samples'].gt_label
            assert a['data_samples'].img_shape == b['data_samples'].img_shape
    # and the augmentation draws differ between epochs
    np.random.seed(0)
    first = memory[0]['inputs']
    assert any(not torch.equal(first, memory[0]['inputs'])
               for _ in range(10))


@pytest.mark.parametrize('indices', [5, [7, 2, 9]])
def test_only_the_kept_samples_are_decoded(tmp_path, indices):
    """``indices``: only those samples' images are read and decoded, and
    they are the folder pipeline's samples of the same indices (a later
    ``get_subset`` too); with ``serialize_data`` off as well."""
    root = image_folder(tmp_path / 'data')
    folder = build('CustomDataset', root,
                   [dict(type='LoadImageFromFile')] + AUGMENT,
                   indices=indices)
    for serialize in (True, False):
        memory = build('InMemoryCustomDataset', root, AUGMENT,
                       indices=indices, serialize_data=serialize)
        kept = indices if isinstance(indices, int) else len(indices)
        assert len(memory) == len(folder) == kept
        assert memory.images.shape == (kept, 32, 32, 3)
        subset = memory.get_subset([2, 0])
        np.random.seed(3)
        ours = [memory[i] for i in range(kept)] + [subset[0], subset[1]]
        np.random.seed(3)
        theirs = [folder[i] for i in range(kept)] + [folder[2], folder[0]]
        for a, b in zip(ours, theirs):
            assert torch.equal(a['inputs'], b['inputs'])
            assert a['data_samples'].gt_label == b['data_samples'].gt_label


def test_the_stored_images_are_not_changed_by_the_pipeline(tmp_path):
    root = image_folder(tmp_path / 'data')
    dataset = build('InMemoryCustomDataset', root,
                    [dict(type='PackInputs')])
    before = dataset.images.copy()
    info = dataset.get_data_info(3)
    info['img'][:] = 0  # a transform that works in place
    np.testing.assert_array_equal(dataset.images, before)
    assert dataset.get_data_info(3)['img'].sum() > 0


def test_a_loader_in_the_pipeline_is_refused(tmp_path):
    root = image_folder(tmp_path / 'data')
    with pytest.raises(ValueError, match='remove LoadImageFromFile'):
        build('InMemoryCustomDataset', root,
              [dict(type='LoadImageFromFile'), dict(type='PackInputs')])


def test_images_of_different_sizes_are_refused(tmp_path):
    root = image_folder(tmp_path / 'data', sizes=[(32, 32), (32, 32),
                                                  (40, 32)])
    with pytest.raises(ValueError, match='images of one size'):
        build('InMemoryCustomDataset', root, [dict(type='PackInputs')])


def test_registered_in_the_default_scope():
    assert DATASETS.get('InMemoryCustomDataset') is InMemoryCustomDataset
