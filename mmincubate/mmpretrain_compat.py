"""mmpretrain's one import of mmdet, deferred until mmdet is used.

mmpretrain 1.2.0 imports ``mmpretrain.models.utils.res_layer_extra_norm``
with every model, and that module imports ``mmdet.models`` (mmdet's whole
model zoo, about 2 s of a fresh process's start) to define one optional
layer, ``ResLayerExtraNorm``, for detection configs. A classification run
never uses it.

:func:`defer_mmdet_import` (called when mmincubate is imported) installs
an import finder that changes only the order of these imports:

- while ``mmdet.models`` is not imported, that module loads as a
  placeholder with ``ResLayerExtraNorm = None`` (what mmpretrain itself
  sets when mmdet is absent);
- as soon as ``mmdet.models`` is imported (a detection config, a
  ``custom_imports``, a user's import), the module's own code runs in the
  placeholder: ``ResLayerExtraNorm`` is defined and registered in mmdet's
  ``MODELS`` as before, and ``mmpretrain.models.utils`` and
  ``mmpretrain.models`` get the class.

If mmpretrain was imported before mmincubate, nothing changes.
``tests/test_utils/test_mmpretrain_compat.py`` fails when mmpretrain
stops importing mmdet there (then this module can go) or the deferral stops
working.

Example:
    >>> import mmincubate  # the finder is installed
    >>> import mmpretrain.models  # mmdet.models is not imported
"""
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Optional, Sequence

#: the mmpretrain module that imports mmdet, and the name it defines
LAYER_MODULE = 'mmpretrain.models.utils.res_layer_extra_norm'
LAYER = 'ResLayerExtraNorm'
#: the import that runs the deferred module
TRIGGER = 'mmdet.models'
#: where mmpretrain re-exports the layer
REEXPORTS = ('mmpretrain.models.utils', 'mmpretrain.models')


class _Placeholder(importlib.abc.Loader):
    """Loads the layer module as ``ResLayerExtraNorm = None`` and hands it
    to the finder to run later."""

    def __init__(self, finder: 'DeferredLayerFinder',
                 real: importlib.machinery.ModuleSpec) -> None:
        self.finder, self.real = finder, real

    def create_module(self, spec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        setattr(module, LAYER, None)
        self.finder.deferred = (module, self.real)


class _ThenRunDeferred(importlib.abc.Loader):
    """``mmdet.models``' own loader, then the deferred module."""

    def __init__(self, finder: 'DeferredLayerFinder',
                 loader: importlib.abc.Loader) -> None:
        self.finder, self.loader = finder, loader

    def create_module(self, spec) -> Optional[ModuleType]:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.finder.run_deferred()

    def __getattr__(self, name: str):  # resources, source, ...
        if name == 'loader':  # not set yet (a copy being made)
            raise AttributeError(name)
        return getattr(self.loader, name)


class DeferredLayerFinder(importlib.abc.MetaPathFinder):
    """The finder :func:`defer_mmdet_import` installs (first on
    ``sys.meta_path``)."""

    def __init__(self) -> None:
        self.deferred = None

    def find_spec(self, fullname: str, path: Optional[Sequence[str]],
                  target: Optional[ModuleType] = None):
        if fullname == LAYER_MODULE and TRIGGER not in sys.modules:
            real = importlib.machinery.PathFinder.find_spec(fullname, path)
            if real is None:
                return None
            return importlib.util.spec_from_loader(
                fullname, _Placeholder(self, real), origin=real.origin)
        if fullname == TRIGGER and self.deferred is not None:
            real = importlib.machinery.PathFinder.find_spec(fullname, path)
            if real is not None:
                real.loader = _ThenRunDeferred(self, real.loader)
            return real
        return None

    def run_deferred(self) -> None:
        """Run the placeholder's own code now (mmdet.models is imported)."""
        if self.deferred is None:
            return
        module, real = self.deferred
        self.deferred = None
        module.__spec__, module.__loader__ = real, real.loader
        module.__file__ = real.origin
        real.loader.exec_module(module)
        for name in REEXPORTS:
            parent = sys.modules.get(name)
            if parent is not None and getattr(parent, LAYER, 0) is None:
                setattr(parent, LAYER, getattr(module, LAYER))


def defer_mmdet_import() -> None:
    """Install :class:`DeferredLayerFinder` once, unless mmpretrain's layer
    module is imported already."""
    if LAYER_MODULE in sys.modules or any(
            isinstance(finder, DeferredLayerFinder)
            for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, DeferredLayerFinder())
