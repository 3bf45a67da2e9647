"""mmpretrain's ``CustomDataset`` decoded once into one uint8 array."""
from typing import List, Optional

import mmcv
import numpy as np
from mmengine.fileio import get_file_backend
from mmpretrain.datasets import CustomDataset

from mmincubate.registry import DATASETS

LOADERS = ('LoadImageFromFile', 'mmpretrain.LoadImageFromFile',
           'mmcv.LoadImageFromFile')


@DATASETS.register_module()
class InMemoryCustomDataset(CustomDataset):
    """An image-folder dataset whose images are read and decoded once, at
    build time, into one uint8 array of shape (N, H, W, 3): the images of
    the samples it keeps (all, or those of ``indices``).

    Every sample reaches the pipeline as ``LoadImageFromFile`` would hand it
    over (the same decoder, BGR, ``img_shape`` and ``ori_shape`` set), so the
    pipeline is the folder pipeline without its first transform: the same
    random crop and flip, drawn from the same random state, give the same
    tensors. Small images only (CIFAR: 45,000 images are 138 MB), and all
    of one size; the epoch then costs no file reads or decoding, and the
    data loader needs no worker processes competing with training for the
    cores.

    Args:
        color_type: as ``LoadImageFromFile``'s (``'color'``).
        imdecode_backend: as ``LoadImageFromFile``'s (``'cv2'``).
        **kwargs: ``CustomDataset``'s (``data_root``, ``data_prefix``,
            ``pipeline`` without ``LoadImageFromFile``, ...).

    Example:
        >>> train_dataloader = dict(num_workers=0, dataset=dict(
        ...     type='InMemoryCustomDataset', data_root='data/cifar10',
        ...     data_prefix='train', pipeline=[
        ...         dict(type='RandomCrop', crop_size=32, padding=4),
        ...         dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        ...         dict(type='PackInputs')]))
    """

    def __init__(self, *args, color_type: str = 'color',
                 imdecode_backend: str = 'cv2', pipeline=(), **kwargs):
        for transform in pipeline:
            name = transform.get('type') if isinstance(transform, dict) \
                else type(transform).__name__
            if name in LOADERS:
                raise ValueError(
                    'InMemoryCustomDataset hands the pipeline decoded images:'
                    f' remove {name} from its pipeline (the images are read '
                    'and decoded once, when the dataset is built).')
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend
        self.images: Optional[np.ndarray] = None
        super().__init__(*args, pipeline=pipeline, **kwargs)

    def full_init(self) -> None:
        """Load the annotations, keep the samples of ``indices``, then read
        and decode the kept samples' images (only those), then serialize."""
        if self._fully_initialized:
            return
        serialize, self.serialize_data = self.serialize_data, False
        try:
            super().full_init()  # loads, filters and subsets the list
            self.images = self._decode(self.data_list)
        except BaseException:
            self._fully_initialized = False
            raise
        finally:
            self.serialize_data = serialize
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialize_data()

    def _decode(self, data_list: List[dict]) -> np.ndarray:
        """The images of ``data_list`` in one array; each info's
        ``img_path`` becomes its ``image_index`` into it."""
        backend = get_file_backend(self.img_prefix, enable_singleton=True)
        images = None
        for index, info in enumerate(data_list):
            path = info.pop('img_path')
            image = mmcv.imfrombytes(backend.get(path), flag=self.color_type,
                                     backend=self.imdecode_backend)
            if image is None:
                raise ValueError(f'Cannot decode {path}.')
            if images is None:
                images = np.empty((len(data_list), *image.shape), np.uint8)
            elif image.shape != images.shape[1:]:
                raise ValueError(
                    f'{path} is {image.shape}, the first image '
                    f'{images.shape[1:]}: InMemoryCustomDataset holds images '
                    'of one size; resize them first or use CustomDataset.')
            images[index] = image
            info['image_index'] = index
        return images

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        # a copy: the pipeline may transform its image in place
        image = self.images[info.pop('image_index')].copy()
        info['img'] = image
        info['img_shape'] = image.shape[:2]
        info['ori_shape'] = image.shape[:2]
        return info
