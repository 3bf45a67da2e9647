import os

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
    from mmincubate.engine.runners import ExactResumeRunner
    path, marker = malicious
    runner = ExactResumeRunner.__new__(ExactResumeRunner)
    with pytest.raises(UnsafeCheckpointError):
        ExactResumeRunner.load_checkpoint(runner, str(path))
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


def _runner_failure(path) -> Exception:
    from mmincubate.engine.runners import ExactResumeRunner
    runner = ExactResumeRunner.__new__(ExactResumeRunner)
    with pytest.raises(Exception) as err:
        ExactResumeRunner.load_checkpoint(runner, str(path))
    return err.value


@pytest.mark.parametrize('trust', [False, True])
def test_runner_and_loader_report_a_failure_alike(malicious, tmp_path,
                                                  trust):
    """One translation: resume/load_from and load_checkpoint_file give the
    same error, naming the file, for the same unsafe or truncated file."""
    evil, marker = malicious
    good = tmp_path / 'good.pth'
    save_checkpoint_atomic({'state_dict': {'w': torch.arange(1000.)}}, good)
    data = good.read_bytes()
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(data[:len(data) // 2])
    for path, kind in ((evil, UnsafeCheckpointError),
                       (truncated, CheckpointFormatError)):
        with pytest.raises(kind) as err:
            load_checkpoint_file(str(path), trust_mmengine=trust)
        from_runner = _runner_failure(path)
        assert type(from_runner) is kind
        assert str(from_runner) == str(err.value)
        assert f'"{path}"' in str(from_runner)
    assert 'Refusing to load' in str(_runner_failure(evil))
    assert 'truncated or corrupt' in str(_runner_failure(truncated))
    assert not marker.exists()


@pytest.mark.parametrize('meta', [None, dict(kind='mmincubate.module',
                                               index=1, num_modules=4)],
                         ids=['weights', 'module'])
def test_runner_explains_only_what_the_file_is(monkeypatch, tmp_path, meta):
    """An error raised after the file was read (loading it into the model)
    propagates unchanged, unless the file's kind explains it: the file is
    read again and a module checkpoint is named as one."""
    from mmengine.runner import Runner

    from mmincubate.engine.runners import ExactResumeRunner
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': {'w': torch.ones(1)},
                **({'meta': meta} if meta else {})}, path)

    def read_then_fail(self, filename, **kwargs):
        raise RuntimeError('size mismatch for w')

    monkeypatch.setattr(Runner, 'load_checkpoint', read_then_fail)
    runner = ExactResumeRunner.__new__(ExactResumeRunner)
    with pytest.raises((RuntimeError, CheckpointFormatError)) as err:
        ExactResumeRunner.load_checkpoint(runner, str(path))
    if meta is None:
        assert type(err.value) is RuntimeError
        assert str(err.value) == 'size mismatch for w'
    else:
        assert type(err.value) is CheckpointFormatError
        assert f'"{path}" is the checkpoint of module 1 (of 4)' in \
            str(err.value)
        assert isinstance(err.value.__cause__, RuntimeError)
