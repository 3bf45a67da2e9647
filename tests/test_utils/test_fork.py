"""Forked children: their exit status, that they never return into the
caller, and a resident set that matches what the parent had mapped."""
import os
import sys

import pytest

from mmincubate.utils.fork import (can_fork_measured, forked,
                                   resident_file_pages, touch_pages)

pytestmark = pytest.mark.skipif(
    not can_fork_measured(), reason='needs fork and /proc/self/pagemap')


def _exit_with(code: object) -> None:
    raise SystemExit(code)


def _fail() -> None:
    raise RuntimeError('the mode broke')


def test_forked_exit_status(capfd):
    assert forked(lambda: None) == 0
    assert forked(lambda: _exit_with(3)) == 3
    assert forked(lambda: _exit_with(None)) == 0
    assert forked(lambda: _exit_with('bad --modes')) == 1
    # codes a process cannot exit with are a failure, not a wrap-around
    assert forked(lambda: _exit_with(256)) == 1
    assert forked(lambda: _exit_with(2**31)) == 1
    assert forked(_fail) == 1
    assert forked(lambda: os.kill(os.getpid(), 9)) == -9
    err = capfd.readouterr().err
    assert 'bad --modes' in err
    assert 'RuntimeError: the mode broke' in err


def test_forked_child_does_not_return_into_the_caller(tmp_path):
    marker = tmp_path / 'returned'
    code = forked(lambda: None)
    # only the parent gets here: a child that returned would write too
    with open(marker, 'a') as f:
        f.write(f'{os.getpid()}\n')
    assert code == 0 and marker.read_text() == f'{os.getpid()}\n'


def test_output_before_the_fork_is_not_repeated(capfd):
    sys.stdout.write('once')  # buffered, not yet written
    assert forked(lambda: print(' child')) == 0
    assert capfd.readouterr().out == 'once child\n'


def _file_resident_kib() -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('RssFile:'):
                return int(line.split()[1])
    raise AssertionError('no RssFile in /proc/self/status')


def test_touched_child_has_the_parents_file_pages(tmp_path):
    runs = resident_file_pages()
    page_kib = os.sysconf('SC_PAGE_SIZE') // 1024
    listed = sum(pages for _, pages in runs) * page_kib
    parent = _file_resident_kib()
    # the runs are this process's file-backed resident pages
    assert 0.8 * parent <= listed <= 1.1 * parent, (listed, parent)
    out = tmp_path / 'child'

    def child():
        before = _file_resident_kib()
        touch_pages(runs)
        out.write_text(f'{before} {_file_resident_kib()}')
    assert forked(child) == 0
    before, after = map(int, out.read_text().split())
    # fork leaves clean file pages out of the child's page table;
    # touching them brings the child to the parent's figure
    assert before < 0.8 * parent, (before, parent)
    assert after >= 0.9 * parent, (after, parent)
