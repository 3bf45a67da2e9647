"""tools/test.py evaluates the exports of an incubation run (assembled.pth,
final.pth of the session's shared digits run) with the plain E2E config,
and refuses checkpoints that are not that model with a clear error."""
import os.path as osp
import pickle

import pytest
import torch

from mmincubate.utils import load_checkpoint_file
from tests.helpers import (DIGITS_VAL_SIZE, E2E_DIGITS, reported_metrics,
                           run_tool, summary)


def evaluate(checkpoint, work_dir, *extra):
    """tools/test.py with the digits E2E config, in this process."""
    return run_tool('test.py', E2E_DIGITS, checkpoint, '--work-dir',
                    work_dir, *extra)


@pytest.fixture(scope='module')
def evaluated(digits_run, tmp_path_factory):
    """tools/test.py on the shared run's final and assembled exports."""
    work_dir = digits_run.work_dir
    out = tmp_path_factory.mktemp('tests')
    final = load_checkpoint_file(osp.join(work_dir, 'final.pth'))['state_dict']
    results = {
        'final': evaluate(osp.join(work_dir, 'final.pth'), out / 'final'),
        'assembled': evaluate(osp.join(work_dir, 'assembled.pth'),
                              out / 'assembled', '--out',
                              out / 'results.pkl'),
    }
    return work_dir, out, final, results


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
        osp.join(work_dir, 'assembled.pth'))['state_dict']
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


def test_module_export_fails_clearly(digits_run, tmp_path):
    """A module export holds a quarter of the model: the error says what the
    file is and how to assemble it, before anything is built or written."""
    result = evaluate(osp.join(digits_run.work_dir, 'module_0.pth'),
                      tmp_path / 'work')
    assert result.returncode == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith('error: CHECKPOINT: ')
    for message in ['module 0 (of 4)', 'not a whole model',
                    'python tools/assemble.py']:
        assert message in last
    assert not (tmp_path / 'work').exists()


def test_unconverted_timm_checkpoint_fails_clearly(tmp_path):
    """Random tensors under timm names (a checkpoint that needs
    tools/model_converters/timm_to_mmincubate.py first)."""
    torch.save({'cls_token': torch.randn(1, 1, 64),
                'blocks.0.attn.qkv.weight': torch.randn(192, 64),
                'head.weight': torch.randn(10, 64)}, tmp_path / 'timm.pth')
    with pytest.raises(RuntimeError) as error:
        evaluate(tmp_path / 'timm.pth', tmp_path / 'work')
    for message in ['unexpected key in source state_dict',
                    'blocks.0.attn.qkv.weight', 'missing keys in source',
                    'backbone.layers.0.attn.qkv.weight']:
        assert message in str(error.value)


def test_bare_tensor_file_fails_clearly(tmp_path):
    """Found only as the runner loads it: the error is still one paragraph,
    printed last, and the failed start leaves no files."""
    torch.save(torch.randn(3, 8), tmp_path / 'tensor.pth')
    result = evaluate(tmp_path / 'tensor.pth', tmp_path / 'work')
    assert result.returncode == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith('error: ') and \
        'holds a Tensor, not a dict of weights' in last
    assert not (tmp_path / 'work').exists()
