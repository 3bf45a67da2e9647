"""Datasets: the CPU demo's digits; everything else comes from mmpretrain."""
import mmpretrain.datasets  # noqa: F401  (registers transforms and datasets)

from .digits import DigitsDataset

__all__ = ['DigitsDataset']
