import os
import os.path as osp
import pickle

import pytest
import torch

from mmincubate.utils import (CheckpointFormatError, UnsafeCheckpointError,
                              load_checkpoint_file, save_checkpoint_atomic)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture
def malicious(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': _Payload(marker)},
               path)
    return path, marker


@pytest.mark.parametrize('trust', [False, True])
def test_malicious_pickle_is_refused(malicious, trust):
    path, marker = malicious
    with pytest.raises(UnsafeCheckpointError, match='Refusing to load'):
        load_checkpoint_file(str(path), trust_mmengine=trust)
    assert not marker.exists()


def test_runner_refuses_malicious_resume(malicious, tmp_path):
    from mmincubate.engine.runners import SafeCheckpointRunner
    path, marker = malicious
    runner = SafeCheckpointRunner.__new__(SafeCheckpointRunner)
    with pytest.raises(UnsafeCheckpointError):
        SafeCheckpointRunner.load_checkpoint(runner, str(path))
    assert not marker.exists()


def test_corrupt_and_missing_files(tmp_path):
    good = tmp_path / 'good.pth'
    save_checkpoint_atomic({'state_dict': {'w': torch.arange(1000.)}}, good)
    data = good.read_bytes()
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointFormatError, match='truncated or corrupt'):
        load_checkpoint_file(str(bad))
    with pytest.raises(FileNotFoundError):
        load_checkpoint_file(str(tmp_path / 'none.pth'))


def test_atomic_save_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / 'ckpt.pth'
    save_checkpoint_atomic({'a': torch.ones(2)}, target)

    def boom(*args, **kwargs):
        raise RuntimeError('disk full')

    monkeypatch.setattr(torch, 'save', boom)
    with pytest.raises(RuntimeError, match='disk full'):
        save_checkpoint_atomic({'a': torch.zeros(2)}, target)
    assert sorted(os.listdir(tmp_path)) == ['ckpt.pth']
    monkeypatch.undo()
    assert torch.equal(load_checkpoint_file(str(target))['a'], torch.ones(2))


@pytest.mark.parametrize('umask', [0o022, 0o027, 0o002])
def test_atomic_save_has_the_mode_of_a_plain_save(tmp_path, umask):
    """Not the temporary file's 0600: teammates can read final.pth."""
    import os
    import stat

    from mmincubate.utils.checkpoint import save_checkpoint_atomic
    old = os.umask(umask)
    try:
        torch.save({'w': torch.zeros(1)}, tmp_path / 'plain.pth')
        save_checkpoint_atomic({'w': torch.zeros(1)}, tmp_path / 'atomic.pth')
    finally:
        os.umask(old)
    modes = [stat.S_IMODE(os.stat(tmp_path / name).st_mode)
             for name in ('plain.pth', 'atomic.pth')]
    assert modes == [0o666 & ~umask] * 2
