"""Visualization: mmpretrain's ``UniversalVisualizer`` and mmengine's
backends (registered on lazy import, see :mod:`mmincubate.registry`)."""
import mmpretrain.visualization  # noqa: F401
