"""The step-cost benchmark's report and its surroundings: the arithmetic of
the derived figures, the goals file, the worker environment and the
machine's names."""
import os.path as osp

import pytest

from mmincubate.step_cost.goals import goal_lines, load_goals
from mmincubate.step_cost.machine import (KINETO_QUIET, NVML_CHECK,
                                          worker_env)
from mmincubate.step_cost.report import derive, op_table, summary, table
from mmincubate.utils.machine import cpu_model
from tests.helpers import ROOT

GOALS = osp.join(ROOT, 'tools/analysis_tools/step_cost_goals.json')


def test_worker_env(monkeypatch):
    for name in ('KINETO_LOG_LEVEL', 'PYTHONWARNINGS', NVML_CHECK):
        monkeypatch.delenv(name, raising=False)
    cpu = worker_env(False, 'ignore:x:UserWarning')
    assert cpu['KINETO_LOG_LEVEL'] == KINETO_QUIET
    assert cpu['PYTHONWARNINGS'] == 'ignore:x:UserWarning'
    assert cpu[NVML_CHECK] == '1'
    gpu = worker_env(True, 'ignore:x:UserWarning')
    assert 'KINETO_LOG_LEVEL' not in gpu and NVML_CHECK not in gpu
    # what the user set wins
    monkeypatch.setenv('KINETO_LOG_LEVEL', '0')
    monkeypatch.setenv('PYTHONWARNINGS', 'error')
    mine = worker_env(False, 'ignore:x:UserWarning')
    assert (mine['KINETO_LOG_LEVEL'], mine['PYTHONWARNINGS']) == ('0', 'error')


def test_cpu_model_reads_the_processor_name(monkeypatch, tmp_path):
    """The name from /proc/cpuinfo's first ``model name`` line; where the
    file cannot be read, the platform's name, else 'unknown model'."""
    from mmincubate.utils import machine
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('processor\t: 0\nvendor_id\t: X\n'
                       'model name\t: Test CPU 9000 @ 1.00GHz\n'
                       'processor\t: 1\nmodel name\t: Other\n')
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == '/proc/cpuinfo':
            return real_open(cpuinfo, *args, **kwargs)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(machine, 'open', fake_open, raising=False)
    assert cpu_model() == 'Test CPU 9000 @ 1.00GHz'
    cpuinfo.unlink()  # unreadable: the platform's word, else a placeholder
    monkeypatch.setattr(machine.platform, 'processor', lambda: 'x86_64')
    assert cpu_model() == 'x86_64'
    monkeypatch.setattr(machine.platform, 'processor', lambda: '')
    assert cpu_model() == 'unknown model'


def fake(sec, flops, peak, resident=100):
    return dict(sec_per_step=sec, flops=flops, peak_bytes=peak,
                resident_bytes=resident, optimizer_sec=sec / 10,
                attention='fused: x')


def test_report_arithmetic():
    results = dict(plain=fake(0.98, 36, 1100), e2e=fake(1.0, 36, 1100),
                   module0=fake(0.4, 15, 600), module1=fake(0.4, 14, 500),
                   all=fake(0.7, 27, 900), upstream0=fake(0.5, 18, 600),
                   upstream1=fake(0.4, 14, 500))
    derived = derive(results, batch=8, num_modules=2, peak_tflops=None)
    rows, run = derived['rows'], derived['run']
    assert rows['module0']['flop_share'] == 15 / 36
    assert rows['module0']['time_over_flop_share'] == \
        pytest.approx(0.4 / (15 / 36))
    assert rows['module0']['memory_share'] == 500 / 1000
    assert run['module']['speedup_of_all'] == pytest.approx(0.8 / 0.7)
    assert run['upstream']['flop_ratio'] == pytest.approx(32 / 27)
    assert run['overhead'] == pytest.approx(1 / 0.98 - 1)
    text = summary(derived, with_data=False, num_modules=2)
    assert 'framework overhead (E2E step over the plain loop): +2.0%' in text
    assert 'worst all 0.933' in text and 'largest module0 0.500' in text
    assert 'MET' not in text  # the library reports; goals are the caller's
    goals = load_goals(GOALS)
    text = goal_lines(derived, with_data=False, goals=goals)
    assert 'goal framework overhead <= 3%: MET (+2.0%)' in text
    assert "step memory <= 0.6x E2E: MET (largest module0 0.500)" in text
    assert 'jobs: MET (1.286x, synthetic tensors' in text
    assert 'FLOP share: MET (worst all 0.933)' in text
    assert 'goal e2e MFU >= 40%: not measured' in text
    text = goal_lines(derived, False, dict(overhead=0.01,
                                           module_memory=0.4))
    assert text.splitlines() == [
        "goal one module's step memory <= 0.4x E2E: MISSED (largest "
        'module0 0.500)', 'goal framework overhead <= 1%: MISSED (+2.0%)']
    results['all']['page_faults_per_step'] = 1234.4
    lines = table(derive(results, batch=8, num_modules=2),
                  list(results)).splitlines()
    assert lines[0].split()[-1] == 'faults'
    assert [line.split()[-1] for line in lines
            if line.split()[0] in ('all', 'e2e')] == ['-', '1234']
    # shares measured against E2E in the mode's own process come first
    results['plain']['paired_share'] = 0.99
    results['all']['paired_share'] = 0.63
    derived = derive(results, batch=8, num_modules=2)
    assert derived['run']['overhead'] == pytest.approx(1 / 0.99 - 1)
    assert derived['run']['module']['speedup_of_all'] == \
        pytest.approx(0.8 / 0.63)
    # all against the same work with one backward of the summed losses,
    # and the operator table of the modes that were profiled
    results['all-summed'] = dict(fake(0.8, 27, 1700), paired_share=0.72)
    results['e2e']['op_seconds'] = dict(matmul=0.6, attention=0.1,
                                        other=0.3)
    results['all']['op_seconds'] = dict(matmul=0.5, attention=0.1,
                                        other=0.4)
    derived = derive(results, batch=8, num_modules=2)
    assert derived['run']['summed']['speedup'] == pytest.approx(0.72 / 0.63)
    assert derived['run']['summed']['memory'] == pytest.approx(800 / 1600)
    assert '(all-summed): 1.143x faster, step memory 0.500x' in summary(
        derived, False, 2)
    ops = op_table(derived, list(results)).splitlines()
    assert [line.split()[0] for line in ops[1:]] == ['e2e', 'all']
    assert ops[2].split()[1:] == ['500', '100', '400', '40.0%', '1.333',
                                  '0.750']
    assert op_table(derive({'e2e': fake(1, 1, 1)}, 8, 2), ['e2e']) is None


def test_unknown_goals_are_refused(tmp_path):
    goals = tmp_path / 'goals.json'
    goals.write_text('{"overhead": 0.03, "speedup": 2}')
    with pytest.raises(ValueError, match=r"unknown goals \['speedup'\]"):
        load_goals(str(goals))


def test_peak_of_a_known_gpu():
    from mmincubate.utils.machine import peak_tflops
    assert peak_tflops('NVIDIA H100 PCIe') == 756.0
    assert peak_tflops('NVIDIA H100 80GB HBM3') == 989.0
    assert peak_tflops('NVIDIA H200') == 989.0
    assert peak_tflops('NVIDIA GeForce RTX 4090') is None

