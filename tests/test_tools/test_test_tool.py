"""tools/test.py evaluates the exports of an incubation run (assembled.pth,
final.pth) with the plain E2E config, and refuses checkpoints that are not
that model with a clear error.

Also holds the helpers the other tool tests import: running tool command
lines as real processes, at once, and reading the metrics they report.
"""
import ast
import contextlib
import json
import os
import os.path as osp
import pickle
import re
import runpy
import subprocess
import sys
from typing import Dict, List, NamedTuple

import pytest
import torch
from mmengine.config import Config

from mmincubate.engine.runners import SafeCheckpointRunner
from mmincubate.utils import CheckpointFormatError, load_checkpoint_file
from tests.conftest import ROOT

E2E_DIGITS = osp.join(ROOT, 'configs/e2e/vit_tiny_e2e_digits.py')
INCUBATE_DIGITS = osp.join(ROOT, 'configs/incubate/vit_tiny_k4_digits.py')
DIGITS_VAL_SIZE = 355


class ToolResult(NamedTuple):
    returncode: int
    output: str  # stdout and stderr together

    def tail(self, chars: int = 4000) -> str:
        return self.output[-chars:]


def tool(*parts: str) -> str:
    return osp.join(ROOT, 'tools', *parts)


def run_parallel(commands: Dict[str, List[str]], log_dir,
                 timeout: float = 300) -> Dict[str, ToolResult]:
    """Run ``{name: argv}`` as separate processes at the same time (one
    thread each, outputs in files, so none waits on a full pipe) and return
    their exit status and output."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    procs = {}
    try:
        for name, argv in commands.items():
            log = open(osp.join(str(log_dir), f'{name}.log'), 'w+')
            procs[name] = (subprocess.Popen(
                [str(a) for a in argv], cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT, text=True), log)
        results = {}
        for name, (proc, log) in procs.items():
            proc.wait(timeout=timeout)
            log.seek(0)
            results[name] = ToolResult(proc.returncode, log.read())
        return results
    finally:
        for proc, log in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()


def reported_metrics(result: ToolResult) -> dict:
    """The metrics tools/test.py reports (``test metrics: {...}``)."""
    found = re.findall(r'test metrics: (\{.*\})', result.output)
    assert result.returncode == 0 and found, result.tail()
    return ast.literal_eval(found[-1])


def evaluate_command(checkpoint, work_dir, *extra,
                     config=E2E_DIGITS) -> list:
    """tools/test.py's command line."""
    return [sys.executable, tool('test.py'), config, checkpoint,
            '--work-dir', work_dir, *extra]


@contextlib.contextmanager
def one_thread():
    """Tiny models train fastest on one thread (and do not fight the
    processes beside them for the cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def short_digits_cfg(work_dir, phases: List[dict]) -> Config:
    """The digits incubation config with iteration-long phases."""
    cfg = Config.fromfile(INCUBATE_DIGITS)
    cfg.train_cfg.phases = phases
    cfg.train_dataloader.batch_size = 32
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False,
                                eta_min=1e-5)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False,
                                        interval=1000)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.work_dir = str(work_dir)
    return cfg


# ----------------------------------------------------------------------------
@pytest.fixture(scope='module')
def evaluated(tmp_path_factory):
    """A short incubation run in-process, then tools/test.py on its exports
    and on wrong checkpoints, all at once as real processes."""
    work_dir = tmp_path_factory.mktemp('incubation')
    cfg = short_digits_cfg(work_dir, [
        dict(phase='meta', max_iters=4, val_interval=100),
        dict(phase='incubate', max_iters=4, val_interval=100),
        dict(phase='finetune', max_iters=4, val_interval=100),
    ])
    with one_thread():
        SafeCheckpointRunner.from_cfg(cfg).train()
    out = tmp_path_factory.mktemp('tests')
    final = load_checkpoint_file(str(work_dir / 'final.pth'))['state_dict']
    commands = {
        'final': evaluate_command(work_dir / 'final.pth', out / 'final'),
        'assembled': evaluate_command(work_dir / 'assembled.pth',
                                      out / 'assembled', '--out',
                                      out / 'results.pkl'),
        'module_0': evaluate_command(work_dir / 'module_0.pth', out / 'm0'),
    }
    results = run_parallel(commands, out)
    return work_dir, out, final, results


def evaluate_in_process(checkpoint, work_dir) -> None:
    """tools/test.py's main() in this process (raises what it raises)."""
    argv, path = sys.argv, list(sys.path)
    sys.argv = [str(a) for a in evaluate_command(checkpoint, work_dir)[1:]]
    sys.path.insert(0, tool())  # tools/test.py imports tools/train.py
    try:
        with one_thread():
            runpy.run_path(sys.argv[0], run_name='__main__')
    finally:
        sys.argv, sys.path[:] = argv, path


def summary(work_dir) -> dict:
    with open(osp.join(str(work_dir), 'summary.json')) as f:
        return json.load(f)


def test_final_pth_evaluates_as_in_training(evaluated):
    work_dir, _, _, results = evaluated
    metrics = reported_metrics(results['final'])
    assert set(metrics) == {'accuracy/top1'}
    # the E2E config on the export gives the run's own final validation
    expected = summary(work_dir)['final']['accuracy/top1']
    assert metrics['accuracy/top1'] == pytest.approx(expected, abs=1e-4)
    assert 'Load checkpoint from' in results['final'].output


def test_assembled_pth_and_out_pickle(evaluated):
    work_dir, out, final, results = evaluated
    metrics = reported_metrics(results['assembled'])
    expected = summary(work_dir)['assembled']['assembled/accuracy/top1']
    assert metrics['accuracy/top1'] == pytest.approx(expected, abs=1e-4)
    # the export before fine-tuning differs from the final one
    assembled = load_checkpoint_file(
        str(work_dir / 'assembled.pth'))['state_dict']
    assert set(assembled) == set(final)
    assert any(not torch.equal(assembled[k], final[k]) for k in final)
    with open(out / 'results.pkl', 'rb') as f:
        predictions = pickle.load(f)  # our own file, written just now
    assert len(predictions) == DIGITS_VAL_SIZE
    correct = 0
    for sample in predictions:
        assert sample['pred_score'].shape == (10, )
        assert int(sample['pred_label']) == int(sample['pred_score'].argmax())
        correct += int(sample['pred_label']) == int(sample['gt_label'])
    assert 100.0 * correct / DIGITS_VAL_SIZE == pytest.approx(
        metrics['accuracy/top1'], abs=1e-4)


def test_module_export_fails_clearly(evaluated):
    """A module export holds a quarter of the model: non-zero exit, and the
    error names what is missing."""
    result = evaluated[3]['module_0']
    assert result.returncode != 0, result.tail()
    assert 'test metrics' not in result.output
    for message in ['missing keys in source state_dict',
                    'backbone.layers.7.ln1.weight', 'head.layers.head.weight']:
        assert message in result.output, result.tail()


def test_unconverted_timm_checkpoint_fails_clearly(tmp_path):
    """Random tensors under timm names (a checkpoint that needs
    tools/model_converters/timm_to_mmincubate.py first)."""
    torch.save({'cls_token': torch.randn(1, 1, 64),
                'blocks.0.attn.qkv.weight': torch.randn(192, 64),
                'head.weight': torch.randn(10, 64)}, tmp_path / 'timm.pth')
    with pytest.raises(RuntimeError) as error:
        evaluate_in_process(tmp_path / 'timm.pth', tmp_path / 'work')
    for message in ['unexpected key in source state_dict',
                    'blocks.0.attn.qkv.weight', 'missing keys in source',
                    'backbone.layers.0.attn.qkv.weight']:
        assert message in str(error.value)


def test_bare_tensor_file_fails_clearly(tmp_path):
    torch.save(torch.randn(3, 8), tmp_path / 'tensor.pth')
    with pytest.raises(Exception) as error:
        evaluate_in_process(tmp_path / 'tensor.pth', tmp_path / 'work')
    assert isinstance(error.value, CheckpointFormatError), repr(error.value)
    assert 'holds a Tensor, not a dict of weights' in str(error.value)
