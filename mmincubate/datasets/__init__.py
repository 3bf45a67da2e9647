"""Datasets: the CPU demo's digits and image folders decoded once into
memory; everything else comes from mmpretrain."""
import mmpretrain.datasets  # noqa: F401  (registers transforms and datasets)

from .digits import DigitsDataset
from .in_memory import InMemoryCustomDataset

__all__ = ['DigitsDataset', 'InMemoryCustomDataset']
