"""scikit-learn's bundled 8x8 handwritten digits as an mmpretrain dataset."""
from typing import List

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmincubate.registry import DATASETS
from mmincubate.sklearn_compat import load_bundled_digits


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """The 1,797 real 8x8 handwritten digits bundled with scikit-learn
    (UCI optical recognition of handwritten digits); no download needed.

    Images are uint8 arrays of shape (8, 8, 1) scaled from 0..16 to 0..255.
    The split is deterministic and stratified: every ``val_every``-th image
    of each class is validation, the rest training.

    Args:
        split: ``'train'`` or ``'val'``.
        val_every: one in ``val_every`` images of a class goes to ``val``.

    Example:
        >>> dataset = dict(type='DigitsDataset', split='train',
        ...                pipeline=[dict(type='PackInputs')])
    """

    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self, split: str = 'train', val_every: int = 5, **kwargs):
        if split not in ('train', 'val'):
            raise ValueError(f'split must be "train" or "val", not {split!r}')
        if val_every < 2:
            raise ValueError('val_every must be at least 2.')
        self.split = split
        self.val_every = val_every
        kwargs.setdefault('ann_file', '')
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        digits, labels = load_bundled_digits()
        images = np.round(digits * (255.0 / 16.0)).astype(np.uint8)
        data_list = []
        seen = {}
        for image, label in zip(images, labels):
            label = int(label)
            rank = seen.get(label, 0)
            seen[label] = rank + 1
            is_val = rank % self.val_every == self.val_every - 1
            if is_val == (self.split == 'val'):
                data_list.append(
                    dict(img=image[..., None].copy(), gt_label=label))
        return data_list
