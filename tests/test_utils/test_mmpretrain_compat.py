"""mmincubate.mmpretrain_compat against mmpretrain and mmdet themselves.

The first test fails when an mmpretrain release stops importing mmdet in
its layer module (the deferral can then go) or changes how it does; the
second checks in a fresh interpreter that mmdet waits until it is used,
and that the layer is then defined and registered as without mmincubate.
"""
import ast
import importlib.machinery
import subprocess
import sys

from mmincubate.mmpretrain_compat import LAYER, LAYER_MODULE, REEXPORTS
from tests.helpers import ROOT


def _source(module: str, path) -> ast.Module:
    spec = importlib.machinery.PathFinder.find_spec(module, path)
    with open(spec.origin) as f:
        return ast.parse(f.read())


def test_mmpretrain_imports_mmdet_in_its_optional_layer():
    import mmpretrain.models as models
    import mmpretrain.models.utils as utils
    layer = _source(LAYER_MODULE, utils.__path__)
    imported = {node.module for node in ast.walk(layer)
                if isinstance(node, ast.ImportFrom)}
    assert {'mmdet.models.backbones', 'mmdet.registry'} <= imported
    # without mmdet the name is None, which the placeholder copies
    fallbacks = [node for node in ast.walk(layer)
                 if isinstance(node, ast.ExceptHandler)
                 and getattr(node.type, 'id', '') == 'ImportError']
    assert len(fallbacks) == 1
    assert ast.unparse(fallbacks[0].body[0]) == f'{LAYER} = None'
    # mmpretrain.models.utils takes the name from it at import
    package = _source('mmpretrain.models.utils', models.__path__)
    assert any(isinstance(node, ast.ImportFrom)
               and node.module == LAYER_MODULE.rsplit('.', 1)[1]
               and [a.name for a in node.names] == [LAYER]
               for node in package.body)


DEFERRED = f'''
import sys
import mmincubate.apis  # what tools/train.py imports: mmpretrain's models
import mmpretrain.models
assert 'mmdet.models' not in sys.modules, 'mmdet was imported'
assert all(getattr(sys.modules[name], {LAYER!r}) is None
           for name in {REEXPORTS!r})
import mmdet.models
from mmdet.registry import MODELS
layer = MODELS.get({LAYER!r})
assert layer is not None and layer.__module__ == {LAYER_MODULE!r}
assert all(getattr(sys.modules[name], {LAYER!r}) is layer
           for name in {REEXPORTS!r})
module = sys.modules[{LAYER_MODULE!r}]
assert module.__file__.endswith('res_layer_extra_norm.py'), module.__file__
built = MODELS.build(dict(type={LAYER!r}, depth=50, stage=1, stride=1))
assert type(built) is layer and hasattr(built, 'norm')
print('deferred')
'''


def test_mmdet_waits_until_it_is_used():
    proc = subprocess.run([sys.executable, '-c', DEFERRED], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and 'deferred' in proc.stdout, \
        proc.stderr[-3000:]
