"""The data a config reads, checked before the runner is built.

Example:
    >>> check_dataset_paths(cfg, ('train_dataloader', 'val_dataloader'))
"""
import os.path as osp
from typing import Iterator, Sequence, Tuple

from mmengine.config import Config


def _datasets(dataset: dict, key: str) -> Iterator[Tuple[str, dict]]:
    """``dataset`` and the datasets it wraps (``dataset``, ``datasets``),
    each with its config key."""
    if not isinstance(dataset, dict):
        return
    yield key, dataset
    if isinstance(dataset.get('dataset'), dict):
        yield from _datasets(dataset['dataset'], f'{key}.dataset')
    for index, inner in enumerate(dataset.get('datasets') or []):
        yield from _datasets(inner, f'{key}.datasets.{index}')


def _paths(dataset: dict) -> Iterator[Tuple[str, str]]:
    """(what, path) of the files and folders a dataset config names."""
    root = dataset.get('data_root')
    if not isinstance(root, str) or '://' in root:
        return
    yield 'data_root', root
    prefix = dataset.get('data_prefix')
    prefixes = prefix.items() if isinstance(prefix, dict) else \
        [('', prefix)]
    for name, value in prefixes:
        if isinstance(value, str) and value:
            what = f'data_prefix.{name}' if name else 'data_prefix'
            yield what, osp.join(root, value)
    ann_file = dataset.get('ann_file')
    if isinstance(ann_file, str) and ann_file:
        yield 'ann_file', osp.join(root, ann_file)


def check_dataset_paths(cfg: Config, loaders: Sequence[str]) -> None:
    """Raise ``FileNotFoundError`` naming the config key, the path and the
    directory it is relative to when a dataset of one of ``loaders``
    (e.g. ``'train_dataloader'``) names a ``data_root``, ``data_prefix``
    or ``ann_file`` that does not exist."""
    for loader in loaders:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for key, dataset in _datasets(loader_cfg.get('dataset'),
                                      f'{loader}.dataset'):
            for what, path in _paths(dataset):
                if not osp.exists(path):
                    raise FileNotFoundError(
                        f'{key}.{what}: "{path}" does not exist (relative '
                        f'paths are read from {osp.abspath(".")}). Prepare '
                        "the data as the config's header says, or point "
                        f'--cfg-options {key}.data_root=DIR at it.')
