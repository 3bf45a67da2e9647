"""Where the step-cost benchmark measures its modes: the host's children,
their figure files and errors, and the per-mode process a GPU run starts."""
import gc
import json
import os

import pytest

from mmincubate.step_cost import mode_host
from mmincubate.step_cost.mode_host import (figures_path, host_modes,
                                            mode_line, read_rounds)
from mmincubate.utils.fork import can_fork_measured
from tests.helpers import ROOT, run_tool


def _fake_measure(args, mode, out_dir, round_index):
    if mode == 'bad':
        raise RuntimeError('cannot measure')
    with open(figures_path(out_dir, mode, round_index), 'w') as f:
        json.dump(dict(mode=mode, sec_per_step=round_index + 1,
                       pid=os.getpid()), f)


@pytest.mark.skipif(not can_fork_measured(),
                    reason='needs fork and /proc/self/pagemap')
def test_host_forks_a_child_per_mode_and_round(tmp_path, monkeypatch):
    monkeypatch.setattr(mode_host, 'measure_into', _fake_measure)
    try:
        host_modes(None, ['e2e', 'meta'], 2, str(tmp_path))
        rounds = read_rounds(str(tmp_path), ['e2e', 'meta'], 2)
        assert [r['sec_per_step'] for r in rounds['meta']] == [1, 2]
        pids = {r['pid'] for runs in rounds.values() for r in runs}
        assert len(pids) == 4 and os.getpid() not in pids
        with pytest.raises(SystemExit, match=r'mode bad failed \(exit '
                           r'status 1\)'):
            host_modes(None, ['e2e', 'bad'], 1, str(tmp_path))
    finally:
        gc.unfreeze()  # what the host froze, back to this test process


def test_one_mode_measured_in_place_as_on_a_gpu(tmp_path):
    """The per-mode process a GPU run starts: the mode measured where it
    runs, against E2E steps when the modes include E2E, its figures
    written whole, its line printed."""
    result = run_tool(
        'analysis_tools/benchmark_incubation.py', '--config',
        'configs/incubate/vit_tiny_k4_digits.py', '--batch', '8', '--iters',
        '1', '--warmup', '0', '--modes', 'e2e', 'meta', '--worker-host',
        str(tmp_path), '--worker-mode', 'meta', '--worker-round', '1',
        cwd=ROOT)
    assert result.returncode == 0, result.tail()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['meta_1.json']
    figures = json.loads((tmp_path / 'meta_1.json').read_text())
    assert figures['mode'] == 'meta' and figures['flops'] > 0
    assert figures['paired_share'] is not None
    assert result.output.splitlines()[-1] == mode_line('meta', figures)
