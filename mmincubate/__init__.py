"""mmincubate: Deep Incubation (Ni, Wang et al., ICCV 2023) for OpenMMLab.

Importing the package is cheap: the registries import their members lazily
when a config with ``default_scope='mmincubate'`` is built. It never imports
mmdet or mmseg.
"""
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
