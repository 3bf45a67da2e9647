"""tools/dataset_converters/prepare_cifar10.py and the CIFAR-10 configs.

The real-data tests read the CIFAR-10 training images of the development
checkout (../shared/data/cifar10/train.tar.gz) and skip where it is absent;
the safety and error checks build their own small sources.
"""
import io
import os
import os.path as osp
import pickle
import re
import tarfile

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmincubate.engine.hooks.cost_accounting_hook import COST_KEYS
from mmincubate.engine.runners import ExactResumeRunner
from mmincubate.utils import load_checkpoint_file
from tests.helpers import CIFAR_TAR, ROOT, load_tool, run_tool, summary

needs_cifar = pytest.mark.skipif(
    not osp.isfile(CIFAR_TAR),
    reason=f'real CIFAR-10 images not found at {CIFAR_TAR} (the shared '
    'sample data exists only beside the development checkout; users get '
    'CIFAR-10 as the docstring of tools/dataset_converters/'
    'prepare_cifar10.py explains)')
PREP = 'dataset_converters/prepare_cifar10.py'
LIMIT, VAL = 12, 4

prep = load_tool(PREP)
CLASSES = prep.CLASSES


def jpeg(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.new('RGB', (32, 32), (value, 255 - value, 7)).save(buffer, 'JPEG')
    return buffer.getvalue()


def make_tar(path, members) -> str:
    """A tar.gz of ``(TarInfo fields, bytes or None)`` members."""
    with tarfile.open(path, 'w:gz') as tar:
        for fields, data in members:
            info = tarfile.TarInfo(fields.pop('name'))
            for key, value in fields.items():
                setattr(info, key, value)
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return str(path)


def tiny_source(path, per_class: int = 3):
    """A CIFAR-10-shaped folder: train/<class>/NNNN.jpg."""
    for c, cls in enumerate(CLASSES):
        os.makedirs(path / 'train' / cls)
        for i in range(per_class):
            (path / 'train' / cls / f'{i:04d}.jpg').write_bytes(
                jpeg(c * 20 + i))
    return path


def counts(out_dir) -> dict:
    return {split: {cls: len(os.listdir(osp.join(out_dir, split, cls)))
                    for cls in sorted(os.listdir(osp.join(out_dir, split)))}
            for split in sorted(os.listdir(out_dir))}


def run_main(capsys, *argv):
    """The tool's main() in this process: (exit status, stdout, stderr)."""
    status = prep.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ------------------------------------------------------------------ real data
@pytest.fixture(scope='module')
def prepared(tmp_path_factory):
    out = tmp_path_factory.mktemp('cifar') / 'cifar10'
    result = run_tool(PREP, CIFAR_TAR, out, '--limit-per-class', LIMIT,
                      '--val-per-class', VAL)
    return out, result


@needs_cifar
def test_prepares_the_real_archive(prepared):
    out, result = prepared
    assert result.returncode == 0, result.output
    assert f'train: {10 * (LIMIT - VAL)} images' in result.output
    assert f'val: {10 * VAL} images' in result.output
    assert counts(out) == {'train': {c: LIMIT - VAL for c in CLASSES},
                           'val': {c: VAL for c in CLASSES}}
    # nothing left beside it (the temporary folder was renamed)
    assert os.listdir(osp.dirname(out)) == ['cifar10']
    # val is the last VAL of the first LIMIT names of each class; the files
    # are the archive's bytes, 32x32 JPEGs
    with tarfile.open(CIFAR_TAR) as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        for cls in ('airplane', 'truck'):
            names = sorted(n.split('/')[-1] for n in members
                           if n.startswith(f'train/{cls}/'))[:LIMIT]
            assert sorted(os.listdir(out / 'val' / cls)) == names[-VAL:]
            assert sorted(os.listdir(out / 'train' / cls)) == names[:-VAL]
            name = names[-1]
            data = tar.extractfile(members[f'train/{cls}/{name}']).read()
            assert (out / 'val' / cls / name).read_bytes() == data
    with Image.open(out / 'val' / 'cat' / os.listdir(out / 'val' /
                                                      'cat')[0]) as image:
        assert image.format == 'JPEG' and image.size == (32, 32)


@needs_cifar
def test_incubation_config_trains_on_prepared_cifar(prepared, tmp_path):
    """configs/incubate/vit_tiny_k4_cifar10.py as shipped (model, data
    pipeline, per-phase schedules with warmup), only shorter and on the
    prepared subset, through a real Runner; final.pth fits the E2E twin."""
    out, result = prepared
    assert result.returncode == 0, result.output
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/incubate/vit_tiny_k4_cifar10.py'))
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].update(batch_size=40, num_workers=0,
                         persistent_workers=False)
        cfg[name].dataset.data_root = str(out)
    # 2 iterations an epoch; phases long enough for the 1-epoch warmup
    for phase, epochs in zip(cfg.train_cfg.phases, (2, 2, 1)):
        phase.max_epochs = epochs
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.work_dir = str(tmp_path)
    runner = ExactResumeRunner.from_cfg(cfg)
    runner.train()
    assert runner.train_loop.iter == 10
    assert [s.name for s in runner.train_loop.stages] == [
        'meta', 'incubate[0, 1, 2, 3]', 'finetune']
    for name in ('meta.pth', 'module_3.pth', 'assembled.pth', 'final.pth'):
        assert osp.isfile(tmp_path / name), name
    metrics = summary(tmp_path)
    assert [k for k in metrics if k not in COST_KEYS] == [
        'meta', 'hybrid0', 'hybrid1', 'hybrid2', 'hybrid3', 'assembled',
        'final']
    top1 = metrics['final']['accuracy/top1']
    assert 0.0 <= top1 <= 100.0
    with open(osp.join(runner.log_dir, osp.basename(runner.log_dir) +
                       '.log')) as f:
        log = f.read()
    assert 'Accuracy after every phase:' in log
    assert re.search(rf'final +accuracy/top1: {top1:.2f}', log), log[-2000:]
    # the export is the E2E config's model, strictly
    e2e = Config.fromfile(
        osp.join(ROOT, 'configs/e2e/vit_tiny_e2e_cifar10.py'))
    from mmincubate.registry import MODELS
    model = MODELS.build(e2e.model)
    final = load_checkpoint_file(str(tmp_path / 'final.pth'))['state_dict']
    model.load_state_dict(final, strict=True)
    assert final['backbone.patch_embed.projection.weight'].shape == (128, 3,
                                                                     4, 4)


# --------------------------------------------------------- safety and errors
@pytest.mark.parametrize('member, message', [
    (dict(name='/tmp/evil.jpg'), 'absolute path'),
    (dict(name='train/cat/../../../evil.jpg'), 'contains ".."'),
    (dict(name='train/cat/link.jpg', type=tarfile.SYMTYPE,
          linkname='/etc/passwd'), 'is a link'),
    (dict(name='train/cat/hard.jpg', type=tarfile.LNKTYPE,
          linkname='train/cat/0000.jpg'), 'is a link'),
    (dict(name='train/cat/fifo', type=tarfile.FIFOTYPE),
     'not a regular file'),
])
def test_unsafe_archive_refused(tmp_path, capsys, member, message):
    data = None if member.get('type') is not None else jpeg(1)
    members = [(dict(name=f'train/{cls}/0000.jpg'), jpeg(2))
               for cls in CLASSES] + [(member, data)]
    src = make_tar(tmp_path / 'evil.tar.gz', members)
    status, _, err = run_main(capsys, src, tmp_path / 'out',
                              '--val-per-class', 1)
    assert status == 1
    assert 'refusing the archive' in err and message in err, err
    assert sorted(os.listdir(tmp_path)) == ['evil.tar.gz']


def test_overwrite_needs_force(tmp_path, capsys):
    src = tiny_source(tmp_path / 'src')
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'keep.txt').write_text('user data')
    status, _, err = run_main(capsys, src, out, '--val-per-class', 1)
    assert status == 1 and 'not empty; pass --force' in err, err
    assert os.listdir(out) == ['keep.txt']
    # --force replaces it as a whole; an empty OUT_DIR needs no --force
    status, stdout, _ = run_main(capsys, src, out, '--val-per-class', 1,
                                 '--force')
    assert status == 0 and 'train: 20 images' in stdout
    assert counts(out) == {'train': {c: 2 for c in CLASSES},
                           'val': {c: 1 for c in CLASSES}}
    assert sorted(os.listdir(tmp_path)) == ['out', 'src']
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert run_main(capsys, src, empty, '--val-per-class', 2)[0] == 0
    assert counts(empty)['val'] == {c: 2 for c in CLASSES}
    # the archive route gives the same files
    tar_src = tmp_path / 'src.tar.gz'
    with tarfile.open(tar_src, 'w:gz') as tar:
        tar.add(src / 'train', arcname='train')
    assert run_main(capsys, tar_src, tmp_path / 'from_tar',
                    '--val-per-class', 2)[0] == 0
    for cls in ('bird', 'truck'):
        for name in ('0000.jpg', '0002.jpg'):
            split = 'val' if name == '0002.jpg' else 'train'
            assert (tmp_path / 'from_tar' / split / cls / name).read_bytes() \
                == (empty / split / cls / name).read_bytes()


def test_bad_sources(tmp_path, capsys):
    out = tmp_path / 'out'
    cases = []
    cases.append((tmp_path / 'missing.tar.gz', 'does not exist'))
    (tmp_path / 'notes.txt').write_text('not an archive')
    cases.append((tmp_path / 'notes.txt', 'not a readable tar archive'))
    cases.append((make_tar(tmp_path / 'empty.tar.gz', []), 'holds no images'))
    cases.append((make_tar(
        tmp_path / 'mnist.tar.gz',
        [(dict(name=f'train/{d}/0.jpg'), jpeg(d)) for d in range(10)]),
                  'is not CIFAR-10'))
    cases.append((make_tar(tmp_path / 'flat.tar.gz',
                           [(dict(name='a/b/c/0.jpg'), jpeg(0))]),
                  'is not at train/<class>/<file>'))
    cases.append((make_tar(
        tmp_path / 'fake.tar.gz',
        [(dict(name=f'train/{cls}/{i}.jpg'), b'GIF89a' + bytes(20))
         for cls in CLASSES for i in range(2)]), 'is not a valid .jpg image'))
    full = make_tar(tmp_path / 'full.tar.gz',
                    [(dict(name=f'train/{cls}/{i}.jpg'), os.urandom(4000))
                     for cls in CLASSES for i in range(3)])
    with open(full, 'rb') as f:
        (tmp_path / 'cut.tar.gz').write_bytes(f.read()[:30000])
    cases.append((tmp_path / 'cut.tar.gz', 'not a readable tar archive'))
    for src, message in cases:
        status, _, err = run_main(capsys, src, out, '--val-per-class', 1)
        assert status == 1 and message in err, (src, err)
        assert not out.exists(), src
        assert not [n for n in os.listdir(tmp_path) if n.startswith('.')]
    src = tiny_source(tmp_path / 'src', per_class=3)
    status, _, err = run_main(capsys, src, out, '--val-per-class', 3)
    assert status == 1 and 'would leave none for training' in err
    status, _, err = run_main(capsys, src, out, '--limit-per-class', 2,
                              '--val-per-class', 2)
    assert status == 1 and 'would leave none for training' in err


# --------------------------------------------------------- torchvision route
class Pwn:

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'echo pwned > {self.marker}', ))


def write_batches(root, per_batch: int = 20, seed: int = 0):
    """torchvision's cifar-10-batches-py/ layout: pickled dicts, protocol 2
    (as the official files), keys as bytes, pixels as 3 planes of 32x32."""
    folder = root / 'cifar-10-batches-py'
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    batches = []
    for i in range(1, 6):
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = [int(x) for x in rng.integers(0, 10, per_batch)]
        labels[:10] = range(10)  # every class occurs
        batch = {b'batch_label': f'training batch {i} of 5'.encode(),
                 b'labels': labels, b'data': data,
                 b'filenames': [f'img_{i}_{j}.png'.encode()
                                for j in range(per_batch)]}
        with open(folder / f'data_batch_{i}', 'wb') as f:
            pickle.dump(batch, f, protocol=2)
        batches.append(batch)
    with open(folder / 'batches.meta', 'wb') as f:
        pickle.dump({b'label_names': [c.encode() for c in CLASSES],
                     b'num_cases_per_batch': per_batch, b'num_vis': 3072}, f,
                    protocol=2)
    return batches


def test_from_torchvision_root(tmp_path, capsys):
    batches = write_batches(tmp_path / 'tv')
    out = tmp_path / 'out'
    status, stdout, err = run_main(capsys, tmp_path / 'tv', out,
                                   '--from-torchvision-root',
                                   '--val-per-class', 2)
    assert status == 0, err
    labels = sum((b[b'labels'] for b in batches), [])
    images = np.concatenate([b[b'data'] for b in batches])
    assert f'train: {len(labels) - 20} images' in stdout
    # per class, numbered in the batches' order; val = the last 2
    for c, cls in enumerate(CLASSES):
        own = images[[i for i, label in enumerate(labels) if label == c]]
        names = [f'{i:04d}.png' for i in range(len(own))]
        assert sorted(os.listdir(out / 'val' / cls)) == names[-2:]
        assert sorted(os.listdir(out / 'train' / cls)) == names[:-2]
        for index in (0, len(own) - 1):
            split = 'val' if index == len(own) - 1 else 'train'
            with Image.open(out / split / cls / names[index]) as image:
                pixels = np.asarray(image.convert('RGB'))
            expected = own[index].reshape(3, 32, 32).transpose(1, 2, 0)
            assert np.array_equal(pixels, expected)  # PNG: lossless
    # without the flag, a hint; a class list that is not CIFAR-10's
    status, _, err = run_main(capsys, tmp_path / 'tv', tmp_path / 'o2')
    assert status == 1 and 'add --from-torchvision-root' in err
    with open(tmp_path / 'tv/cifar-10-batches-py/batches.meta', 'wb') as f:
        pickle.dump({b'label_names': [b'x'] * 10}, f, protocol=2)
    status, _, err = run_main(capsys, tmp_path / 'tv', tmp_path / 'o3',
                              '--from-torchvision-root')
    assert status == 1 and "not CIFAR-10's" in err


def test_torchvision_batches_never_run_code(tmp_path, capsys):
    write_batches(tmp_path / 'tv', per_batch=10)
    marker = tmp_path / 'pwned'
    with open(tmp_path / 'tv/cifar-10-batches-py/data_batch_3', 'wb') as f:
        pickle.dump({b'data': Pwn(str(marker)), b'labels': []}, f,
                    protocol=2)
    status, _, err = run_main(capsys, tmp_path / 'tv', tmp_path / 'out',
                              '--from-torchvision-root', '--val-per-class',
                              1)
    assert status == 1
    assert 'data_batch_3 is not a CIFAR-10 batch' in err
    assert 'refusing to unpickle' in err and 'system' in err, err
    assert not marker.exists() and not (tmp_path / 'out').exists()
    os.remove(tmp_path / 'tv/cifar-10-batches-py/data_batch_3')
    status, _, err = run_main(capsys, tmp_path / 'tv', tmp_path / 'out',
                              '--from-torchvision-root')
    assert status == 1 and 'data_batch_3 is missing' in err
