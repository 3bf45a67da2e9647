"""mmincubate: Deep Incubation (Ni, Wang et al., ICCV 2023) for OpenMMLab.

Importing the package is cheap: the registries import their members lazily
when a config with ``default_scope='mmincubate'`` is built. It never imports
mmdet or mmseg, and it keeps mmpretrain from importing mmdet until mmdet is
used (:mod:`mmincubate.mmpretrain_compat`). Configs that inherit from
another codebase (``'mmdet::...'``) look it up once per process
(:func:`mmincubate.mmengine_compat.remember_external_config_lookups`).
"""
from .mmengine_compat import remember_external_config_lookups
from .mmpretrain_compat import defer_mmdet_import
from .version import __version__, version_info

defer_mmdet_import()
remember_external_config_lookups()

__all__ = ['__version__', 'version_info']
