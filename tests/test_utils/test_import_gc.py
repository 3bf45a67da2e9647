"""mmincubate.import_gc: a fresh process imports the stack without the
garbage collector and freezes it after; a process that imported torch
already (this test worker) is left as it is."""
import gc
import subprocess
import sys

from mmincubate.import_gc import imports_outside_gc
from tests.helpers import ROOT

FRESH = '''
import gc
from mmincubate.import_gc import imports_outside_gc
before = gc.get_stats()[2]['collections']
with imports_outside_gc() as paused:
    import mmincubate.apis
    print(paused, gc.isenabled(), gc.get_stats()[2]['collections'] - before)
print(gc.isenabled(), gc.get_freeze_count())
'''


def test_a_fresh_process_imports_without_collections_then_freezes():
    out = subprocess.run([sys.executable, '-c', FRESH], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    # paused, collector off inside, no full collection during the imports
    assert out[:3] == ['True', 'False', '0'], out
    # on again, and the imports' objects frozen
    assert out[3] == 'True' and int(out[4]) > 100_000, out


def test_a_process_with_torch_imported_is_left_as_it_is():
    assert 'torch' in sys.modules
    unfrozen = [[] for _ in range(1000)]  # a freeze would take these
    frozen = gc.get_freeze_count()  # (falls as frozen objects are freed)
    with imports_outside_gc() as paused:
        assert gc.isenabled()
    assert paused is False and gc.get_freeze_count() <= frozen
    assert len(unfrozen) == 1000
    gc.disable()
    try:
        with imports_outside_gc() as paused:
            assert not gc.isenabled()
        assert paused is False and not gc.isenabled()
    finally:
        gc.enable()
