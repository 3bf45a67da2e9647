"""tools/analysis_tools/benchmark_run.py: whole runs timed in turn, their
wall time beside the training time their cost hook measured."""
import contextlib
import io
import json
import os.path as osp

import pytest

from tests.helpers import ROOT, load_tool

benchmark_run = load_tool('analysis_tools/benchmark_run.py')
DIGITS = osp.join(ROOT, 'configs/e2e/vit_tiny_e2e_digits.py')
SHORT = ['train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
         'train_dataloader.dataset.indices=128',
         'val_dataloader.dataset.indices=64']


@pytest.mark.slow
def test_two_configs_timed_in_turn(tmp_path):
    other = tmp_path / 'bigger_batch.py'
    other.write_text(f"_base_ = ['{DIGITS}']\n"
                     'train_dataloader = dict(batch_size=128)\n')
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rows = benchmark_run.main([DIGITS, str(other), '--cfg-options',
                                   *SHORT, '--work-dir',
                                   str(tmp_path / 'runs'), '--json',
                                   str(tmp_path / 'speed.json')])
    assert [r['config'] for r in rows] == [DIGITS, str(other)]
    for row in rows:
        assert row['images'] == 2 * 128  # two epochs of 128 images
        assert row['wall_seconds'] > row['train_seconds'] > 0
        assert row['wall_over_train'] == pytest.approx(
            row['wall_seconds'] / row['train_seconds'])
        assert row['flops'] > 0
    # the same images at one step an epoch instead of two: the same FLOPs
    assert rows[0]['flops'] == pytest.approx(rows[1]['flops'], rel=1e-6)
    text = out.getvalue()
    assert '| vit_tiny_e2e_digits.py |' in text and '| 1.00x |' in text
    assert text.count('[speed]') == 2
    with open(tmp_path / 'speed.json') as f:
        assert json.load(f)['rows'] == json.loads(json.dumps(rows))
    assert sorted(p.name for p in (tmp_path / 'runs').iterdir()) == [
        'run0_repeat0', 'run1_repeat0']


@pytest.mark.slow
def test_a_failing_run_is_reported(tmp_path, capsys):
    with pytest.raises(SystemExit, match='failed') as error:
        benchmark_run.main([DIGITS, '--cfg-options', *SHORT,
                            'model.backbone.arch=no-such-arch',
                            '--work-dir', str(tmp_path)])
    assert 'no-such-arch' in str(error.value)


def test_repeats_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        benchmark_run.main([DIGITS, '--repeats', '0'])
    assert '--repeats 0: give 1 or more' in capsys.readouterr().err
