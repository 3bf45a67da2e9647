"""Rebuild the 10-image COCO val2017 subset (official instance annotations)
from the package index, in mmdet's COCO layout.

    python tools/dataset_converters/prepare_coco_subset.py data/coco_val2017_10
    python tools/dataset_converters/prepare_coco_subset.py OUT --wheel clarifai-9.7.0-py3-none-any.whl

The Apache-2.0 wheel ``clarifai==9.7.0`` (``pip download --no-deps
clarifai==9.7.0``; only the 9.7.x releases carry it) holds 10 COCO val2017
images and their official annotations (77 instances, 18 categories) under
``clarifai/data_upload/examples/image_segmentation/coco/``. The output is::

    OUT/val2017/000000074646.jpg ...
    OUT/annotations/instances_val2017_subset.json

and loads with ``CocoDataset(data_root=OUT,
ann_file='annotations/instances_val2017_subset.json',
data_prefix=dict(img='val2017/'))``.

The full datasets use the standard layouts:

* COCO: ``data/coco/{train2017,val2017}/*.jpg`` and
  ``data/coco/annotations/instances_{train,val}2017.json``
  (https://cocodataset.org/#download), as in the Mask R-CNN configs.
* ADE20K: ``data/ade/ADEChallengeData2016/images/{training,validation}/*.jpg``
  and ``.../annotations/{training,validation}/*.png`` (the SceneParsing
  ADEChallengeData2016.zip), as in the UperNet configs.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import zipfile

PREFIX = 'clarifai/data_upload/examples/image_segmentation/coco/'
ANN = 'annotations/instances_val2017_subset.json'


def download_wheel(dst: str) -> str:
    cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps',
           '--only-binary=:all:', 'clarifai==9.7.0', '-d', dst]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = [f for f in os.listdir(dst) if f.endswith('.whl')]
    if proc.returncode != 0 or not wheels:
        raise RuntimeError(
            'Could not download clarifai==9.7.0 from the package index '
            f'({" ".join(cmd)}):\n{proc.stderr[-2000:]}\nDownload the wheel '
            'elsewhere and pass it with --wheel.')
    return osp.join(dst, wheels[0])


def extract(wheel: str, out_dir: str) -> dict:
    """Write the subset into ``out_dir`` (atomically); return counts."""
    if not zipfile.is_zipfile(wheel):
        raise ValueError(f'"{wheel}" is not a wheel (zip) file.')
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.startswith(PREFIX)]
        images = sorted(n for n in names
                        if n.startswith(PREFIX + 'images/')
                        and n.endswith('.jpg'))
        if PREFIX + ANN not in names or not images:
            raise ValueError(
                f'"{wheel}" does not hold the COCO subset under {PREFIX} '
                '(only clarifai 9.7.x wheels do).')
        parent = osp.dirname(osp.abspath(out_dir))
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix='.coco_subset_', dir=parent)
        try:
            os.makedirs(osp.join(tmp, 'val2017'))
            os.makedirs(osp.join(tmp, 'annotations'))
            for name in images:
                with open(osp.join(tmp, 'val2017', osp.basename(name)),
                          'wb') as f:
                    f.write(zf.read(name))
            ann = json.loads(zf.read(PREFIX + ANN))
            with open(osp.join(tmp, ANN), 'w') as f:
                json.dump(ann, f)
            missing = {im['file_name'] for im in ann['images']} - {
                osp.basename(n) for n in images}
            if missing:
                raise ValueError(f'annotated images missing from the wheel: '
                                 f'{sorted(missing)}')
            os.replace(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return dict(images=len(images), annotations=len(ann['annotations']),
                categories=len({a['category_id']
                                for a in ann['annotations']}))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description='Rebuild the 10-image COCO val2017 subset')
    parser.add_argument('out_dir', help='output folder (must not exist, or '
                        'be empty)')
    parser.add_argument('--wheel', help='a local clarifai-9.7.0 wheel '
                        '(default: pip download it)')
    args = parser.parse_args(argv)
    out_dir = osp.abspath(args.out_dir)
    if osp.exists(out_dir):
        if os.listdir(out_dir):
            parser.error(f'{out_dir} exists and is not empty; choose a new '
                         'folder or remove it.')
        os.rmdir(out_dir)
    if args.wheel:
        counts = extract(args.wheel, out_dir)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            counts = extract(download_wheel(tmp), out_dir)
    print(f'COCO val2017 subset in {out_dir}: {counts["images"]} images, '
          f'{counts["annotations"]} annotations, {counts["categories"]} '
          f'categories ({ANN}, val2017/).')


if __name__ == '__main__':
    main()
