"""The step-cost benchmark's host process: a forked child's exit status,
and a child's resident set that matches what the host had mapped."""
import os
import sys

import pytest

from mmincubate.step_cost.mode_host import (forked, resident_file_pages,
                                            touch_pages)


def _exit_with(code):
    raise SystemExit(code)


def _fail():
    raise RuntimeError('the mode broke')


def test_forked_exit_status(capfd):
    assert forked(lambda: None) == 0
    assert forked(lambda: _exit_with(3)) == 3
    assert forked(lambda: _exit_with(None)) == 0
    assert forked(lambda: _exit_with('bad --modes')) == 1
    assert forked(_fail) == 1
    assert forked(lambda: os.kill(os.getpid(), 9)) == -9
    err = capfd.readouterr().err
    assert 'bad --modes' in err
    assert 'RuntimeError: the mode broke' in err


def test_forked_child_does_not_return_into_the_caller(tmp_path):
    marker = tmp_path / 'returned'
    code = forked(lambda: None)
    # only the parent gets here: a child that returned would write twice
    with open(marker, 'a') as f:
        f.write(f'{os.getpid()}\n')
    assert code == 0 and marker.read_text() == f'{os.getpid()}\n'


def _file_resident_kib() -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('RssFile:'):
                return int(line.split()[1])
    raise AssertionError('no RssFile in /proc/self/status')


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='reads /proc/self/pagemap (Linux)')
def test_touched_child_has_the_hosts_file_pages(tmp_path):
    runs = resident_file_pages()
    page_kib = os.sysconf('SC_PAGE_SIZE') // 1024
    listed = sum(pages for _, pages in runs) * page_kib
    host = _file_resident_kib()
    # the runs are this process's file-backed resident pages
    assert 0.8 * host <= listed <= 1.1 * host, (listed, host)
    out = tmp_path / 'child'

    def child():
        before = _file_resident_kib()
        touch_pages(runs)
        out.write_text(f'{before} {_file_resident_kib()}')
    assert forked(child) == 0
    before, after = map(int, out.read_text().split())
    # fork leaves clean file pages out of the child's page table;
    # touching them brings the child to the host's figure
    assert before < 0.8 * host, (before, host)
    assert after >= 0.9 * host, (after, host)
