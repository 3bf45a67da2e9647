"""Time per training iteration and peak GPU memory of the shipped Mask R-CNN
and UperNet configs (the whole detector / segmentor with the config's
optimizer wrapper, AMP and layer-wise lr decay), on random images with
random instances or label maps of the configs' input sizes.

    python tools/analysis_tools/benchmark_transfer.py \
        configs/mask_rcnn/mask-rcnn_vit-b-incub_simplefpn_lsj-1024-100e_coco.py \
        --batch 2 8 --iters 8 [--cfg-options model.backbone.with_cp=True]

The backbone starts from random weights (no checkpoint is read). Without a
GPU it runs on CPU with a plain OptimWrapper (only useful as a smoke test,
e.g. with --cfg-options shrinking the model and --size).
"""
import argparse
import os.path as osp
from typing import List, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction

from mmincubate.step_cost.transfer import timed_cuda


def _det_batch(batch: int, size: Tuple[int, int], num_classes: int,
               rng: np.random.Generator) -> dict:
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    h, w = size
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8))
        n = 20
        x0 = rng.uniform(0, w * 0.8, n)
        y0 = rng.uniform(0, h * 0.8, n)
        bw = rng.uniform(16, w * 0.2, n)
        bh = rng.uniform(16, h * 0.2, n)
        boxes = np.stack([x0, y0, np.minimum(x0 + bw, w - 1),
                          np.minimum(y0 + bh, h - 1)], 1).astype(np.float32)
        masks = np.zeros((n, h, w), dtype=np.uint8)
        for i, (a, b, c, d) in enumerate(boxes.astype(int)):
            masks[i, b:d, a:c] = 1
        sample = DetDataSample(metainfo=dict(
            img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
            scale_factor=(1.0, 1.0), flip=False))
        sample.gt_instances = InstanceData(
            bboxes=torch.from_numpy(boxes),
            labels=torch.from_numpy(rng.integers(0, num_classes, n)),
            masks=BitmapMasks(masks, h, w))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _seg_batch(batch: int, size: Tuple[int, int], num_classes: int,
               rng: np.random.Generator) -> dict:
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    h, w = size
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(
            img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(
            rng.integers(0, num_classes, (1, h, w))))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _input_size(cfg: Config) -> Tuple[int, int]:
    if cfg.default_scope == 'mmseg':
        return tuple(cfg.model.data_preprocessor.size)
    augments = cfg.model.data_preprocessor.get('batch_augments') or []
    for aug in augments:
        if aug.get('size') is not None:
            return tuple(aug['size'])  # LSJ: 1024x1024
    return (800, 1344)  # 1333x800, padded to 32


def bench(config: str, batches: List[int], iters: int, warmup: int,
          options: dict, size=None) -> List[dict]:
    from mmengine.optim import OptimWrapper, build_optim_wrapper
    from mmengine.registry import MODELS, init_default_scope
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(options)
    init_default_scope(cfg.default_scope)
    cfg.model.backbone.init_cfg = None  # random weights, no file read
    model = MODELS.build(cfg.model)
    model.init_weights()
    cuda = torch.cuda.is_available()
    optim_cfg = cfg.optim_wrapper.copy()
    if cuda:
        model = model.cuda()
    else:
        optim_cfg.type = 'OptimWrapper'
        optim_cfg.pop('loss_scale', None)
    model.train()
    wrapper = build_optim_wrapper(model, optim_cfg)
    assert isinstance(wrapper, OptimWrapper)
    size = tuple(size) if size else _input_size(cfg)
    make = _seg_batch if cfg.default_scope == 'mmseg' else _det_batch
    classes = (cfg.model.decode_head.num_classes if cfg.default_scope ==
               'mmseg' else cfg.model.roi_head.bbox_head.num_classes)
    rng = np.random.default_rng(0)
    rows = []
    for batch in batches:
        data = make(batch, size, classes, rng)

        def step() -> None:
            model.train_step(data, wrapper)

        if cuda:
            try:
                row = timed_cuda(step, iters, warmup)
            except torch.OutOfMemoryError:
                row = dict(sec_per_iter=float('nan'),
                           peak_mem_gib=float('nan'))
                torch.cuda.empty_cache()
        else:
            import time
            step()
            start = time.perf_counter()
            step()
            row = dict(sec_per_iter=time.perf_counter() - start,
                       peak_mem_gib=float('nan'))
        row.update(config=osp.basename(config), batch=batch, size=size)
        rows.append(row)
        print(f"{osp.basename(config)}  {size[0]}x{size[1]}  batch {batch}: "
              f"{row['sec_per_iter'] * 1e3:8.1f} ms/iter  "
              f"peak {row['peak_mem_gib']:6.1f} GiB", flush=True)
    del model, wrapper
    if cuda:
        torch.cuda.empty_cache()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--batch', type=int, nargs='+', default=[2])
    parser.add_argument('--iters', type=int, default=8)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--size', type=int, nargs=2,
                        help='input height width (default: the config\'s)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmengine', log_level='WARNING')
    if torch.cuda.is_available():
        print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    for config in args.configs:
        bench(config, args.batch, args.iters, args.warmup,
              args.cfg_options or {}, args.size)


if __name__ == '__main__':
    main()
