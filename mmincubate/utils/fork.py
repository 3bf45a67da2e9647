"""Run a function in a forked child of this process, and give the child
the resident set a fresh process would have (Linux).

A process that has imported a heavy stack once can fork children that
skip the imports. Two things differ from a fresh process: thread pools
(fork only from a process that has run no parallel tensor operation) and
the resident set: fork leaves clean file-backed pages (the libraries'
code) out of the child's page table, so the child's resident and peak
memory would count them only when it first touches them.
:func:`resident_file_pages` lists them in the parent; :func:`touch_pages`
maps them back in the child.

Example:
    >>> runs = resident_file_pages()
    >>> status = forked(lambda: (touch_pages(runs), measure()))
"""
import ctypes
import os
import struct
import sys
import traceback
from typing import Callable, List, Tuple

#: a run of pages: (first address, number of pages)
PageRun = Tuple[int, int]


def can_fork_measured() -> bool:
    """Whether this system can fork and read its page map (Linux)."""
    return hasattr(os, 'fork') and os.access('/proc/self/pagemap', os.R_OK)


def forked(function: Callable[[], object]) -> int:
    """Run ``function`` in a child forked from this process and wait for
    it; the child's exit status: 0; a ``SystemExit``'s code (1 for a
    message, which is printed, or for a code outside 0..255); 1 after any
    other exception, whose traceback is printed; minus the signal that
    killed it. The child never returns into the caller."""
    sys.stdout.flush()
    sys.stderr.flush()
    code = 1
    pid = os.fork()
    if pid == 0:
        try:
            function()
            code = 0
        except SystemExit as exit_:
            if exit_.code is None or isinstance(exit_.code, int):
                code = exit_.code or 0
            else:
                print(exit_.code, file=sys.stderr)
        except BaseException:  # noqa: B902 (reported, then the exit)
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code if isinstance(code, int) and 0 <= code <= 255
                         else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def resident_file_pages() -> List[PageRun]:
    """Runs of this process's pages that are mapped from a file (not a
    device) and resident now: ``/proc/self/pagemap``'s present bit."""
    page = os.sysconf('SC_PAGE_SIZE')
    runs: List[PageRun] = []
    with open('/proc/self/maps') as maps, \
            open('/proc/self/pagemap', 'rb') as pagemap:
        for line in maps:
            fields = line.split()
            if len(fields) < 6 or not fields[5].startswith('/') or \
                    fields[5].startswith('/dev/') or fields[1][0] != 'r':
                continue
            start, end = (int(x, 16) for x in fields[0].split('-'))
            pagemap.seek(start // page * 8)
            entries = pagemap.read((end - start) // page * 8)
            first = None
            for index, (entry, ) in enumerate(struct.iter_unpack('<Q',
                                                                 entries)):
                present = entry >> 63
                if present and first is None:
                    first = index
                elif not present and first is not None:
                    runs.append((start + first * page, index - first))
                    first = None
            if first is not None:
                runs.append((start + first * page, len(entries) // 8 - first))
    return runs


def touch_pages(runs: List[PageRun]) -> None:
    """Read one byte of every page in ``runs`` (from the process this one
    was forked from): they are back in this process's resident set."""
    page = os.sysconf('SC_PAGE_SIZE')
    for address, pages in runs:
        for offset in range(0, pages * page, page):
            ctypes.string_at(address + offset, 1)
