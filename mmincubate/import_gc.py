"""The garbage collector while a fresh process imports the stack.

Importing torch, mmengine, mmcv and mmpretrain makes about 370,000
objects that live as long as the process. With the collector on, the
imports run several full collections that walk them (about 0.8 s of the
4 s a fresh ``tools/train.py`` takes to import on a 2-core CPU), and
every full collection after them walks them again (about 0.17 s each;
mmengine's dataset builds call ``gc.collect()``).

:func:`imports_outside_gc` pauses the collector for a tool's imports,
then freezes what exists (``gc.freeze()``: later collections skip it) and
turns the collector back on. The imports' own reference cycles (about
11,000 objects, a few MB) are then never freed. In a process that has
imported torch already (a test calling a tool's ``main`` in process, a
child forked from a process that imported it) it changes nothing, so
nothing of that process is frozen.

This module imports nothing but the standard library.

Example (a tool's imports):
    >>> from mmincubate.import_gc import imports_outside_gc
    >>> with imports_outside_gc():
    ...     from mmincubate.apis import build_runner
"""
import contextlib
import gc
import sys
from typing import Iterator


@contextlib.contextmanager
def imports_outside_gc() -> Iterator[bool]:
    """Import the stack without the collector, then keep what exists out
    of later collections; yields whether it did (False, and no change,
    where torch is imported already or the collector is off)."""
    fresh = 'torch' not in sys.modules and gc.isenabled()
    if not fresh:
        yield False
        return
    gc.disable()
    try:
        yield True
    finally:
        gc.freeze()
        gc.enable()
