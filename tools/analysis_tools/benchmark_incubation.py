"""Measure time per iteration and peak GPU memory of every Deep Incubation
phase (and of the transfer backbones) with the shipped configs' models.

    python tools/analysis_tools/benchmark_incubation.py --arch b l h \
        --batch 128 --iters 10 [--transfer] [--json OUT.json]

Per arch (configs/incubate/vit_{arch}_k4.py's model) it runs real
``train_step``s (data preprocessor, Mixup/CutMix, bf16 autocast, AdamW) on
random uint8 images for: the meta model; incubation of all K modules in
parallel (one step trains every module); incubation of each module alone
(the sequential mode); fine-tuning of the assembled target. It prints the
median seconds per iteration, images/s and the peak allocated memory, and
checks the efficiency claims on the way: after a step no meta parameter
holds a gradient and the meta prefix left no autograd graph. ``--transfer``
adds PlainViT + SimpleFeaturePyramid (Mask R-CNN's backbone and neck) at
1024x1024, forward and backward, with and without activation checkpointing.
Needs a CUDA GPU; figures are printed, nothing is asserted about speed.
"""
import argparse
import json
import os.path as osp
import statistics
import sys
import time
from typing import Callable, Dict, List

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def _timed(step: Callable[[], None], iters: int, warmup: int) -> Dict:
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times: List[float] = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return dict(sec_per_iter=statistics.median(times),
                peak_mem_gib=torch.cuda.max_memory_allocated() / 2**30)


def _batch(batch: int, num_classes: int, size: int = 224) -> dict:
    from mmpretrain.structures import DataSample
    inputs = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)
    samples = [
        DataSample().set_gt_label(int(i) % num_classes)
        for i in range(batch)
    ]
    return dict(inputs=list(inputs), data_samples=samples)


def _optim_wrapper(model: torch.nn.Module):
    from mmengine.optim import AmpOptimWrapper
    params = [p for p in model.parameters() if p.requires_grad]
    return AmpOptimWrapper(
        optimizer=torch.optim.AdamW(params, lr=1e-4, weight_decay=0.05),
        dtype='bfloat16')


def bench_arch(arch: str, batch: int, iters: int, warmup: int) -> List[Dict]:
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmincubate.registry import MODELS
    init_default_scope('mmincubate')
    cfg = Config.fromfile(osp.join(ROOT, f'configs/incubate/vit_{arch}_k4.py'))
    model = MODELS.build(cfg.model).cuda()
    model.init_weights()
    data = _batch(batch, cfg.model.target.head.num_classes)
    k = model.num_modules
    runs = [('meta', dict(phase='meta')),
            (f'incubate all {k} (parallel)',
             dict(phase='incubate', modules=range(k), drop_path_rate=0.1))]
    runs += [(f'incubate module {i} alone',
              dict(phase='incubate', modules=[i], drop_path_rate=0.1))
             for i in range(k)]
    runs.append(('finetune', dict(phase='finetune', drop_path_rate=0.1)))
    results = []
    for name, phase in runs:
        model.set_phase(**phase)
        model.train()
        wrapper = _optim_wrapper(model)

        def step() -> None:
            model.train_step(data, wrapper)

        try:
            row = _timed(step, iters, warmup)
        except torch.OutOfMemoryError:
            row = dict(sec_per_iter=float('nan'), peak_mem_gib=float('nan'),
                       note='out of memory')
        if phase['phase'] == 'incubate':
            stray = [n for n, p in model.meta.named_parameters()
                     if p.grad is not None]
            assert not stray, f'meta parameters hold .grad: {stray[:3]}'
            row['meta_params_with_grad'] = 0
        trainable = sum(p.numel() for p in model.parameters()
                        if p.requires_grad)
        row.update(arch=f'ViT-{arch.upper()}', run=name, batch=batch,
                   trainable_m=trainable / 1e6,
                   img_per_s=batch / row['sec_per_iter'])
        results.append(row)
        print(f"ViT-{arch.upper()} {name:28s} batch {batch:4d}  "
              f"{row['sec_per_iter'] * 1e3:8.1f} ms/iter  "
              f"{row['img_per_s']:7.0f} img/s  "
              f"peak {row['peak_mem_gib']:6.1f} GiB  "
              f"trainable {trainable / 1e6:6.1f}M", flush=True)
        wrapper.optimizer.zero_grad(set_to_none=True)
        del wrapper
        torch.cuda.empty_cache()
    del model
    torch.cuda.empty_cache()
    return results


def bench_transfer(arch: str, batch: int, iters: int,
                   warmup: int) -> List[Dict]:
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmincubate.models import PlainViT, SimpleFeaturePyramid
    init_default_scope('mmincubate')
    # the Mask R-CNN configs' backbone settings (read from the incubation
    # config, which needs no mmdet): arch, patch, qkv bias, LayerNorm eps
    target = Config.fromfile(
        osp.join(ROOT, f'configs/incubate/vit_{arch}_k4.py')).model.target
    results = []
    for with_cp in (False, True):
        backbone = PlainViT(
            arch=target.backbone.arch,
            patch_size=target.backbone.patch_size,
            qkv_bias=target.backbone.qkv_bias,
            norm_cfg=target.backbone.norm_cfg,
            img_size=1024,
            out_indices=[-1],
            drop_path_rate=0.1,
            with_cp=with_cp).cuda()
        backbone.train()
        neck = SimpleFeaturePyramid(
            in_channels=backbone.embed_dims, out_channels=256,
            num_outs=5).cuda().train()
        x = torch.randn(batch, 3, 1024, 1024, device='cuda')

        def step() -> None:
            with torch.autocast('cuda', dtype=torch.bfloat16):
                outs = neck(backbone(x))
            sum(o.float().mean() for o in outs).backward()

        try:
            row = _timed(step, iters, warmup)
        except torch.OutOfMemoryError:
            row = dict(sec_per_iter=float('nan'), peak_mem_gib=float('nan'),
                       note='out of memory')
        row.update(arch=f'ViT-{arch.upper()}', batch=batch,
                   run=f'PlainViT+SFP 1024 fwd+bwd{" with_cp" if with_cp else ""}')
        results.append(row)
        print(f"ViT-{arch.upper()} {row['run']:36s} batch {batch}  "
              f"{row['sec_per_iter'] * 1e3:8.1f} ms/iter  "
              f"peak {row['peak_mem_gib']:6.1f} GiB", flush=True)
        del backbone, neck, x
        torch.cuda.empty_cache()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', nargs='+', default=['b', 'l', 'h'],
                        choices=['b', 'l', 'h'])
    parser.add_argument('--batch', type=int, default=128,
                        help='images per GPU per iteration')
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--transfer', action='store_true')
    parser.add_argument('--transfer-batch', type=int, default=2)
    parser.add_argument('--skip-incubation', action='store_true')
    parser.add_argument('--json', help='also write the figures here')
    args = parser.parse_args()
    if not torch.cuda.is_available():
        parser.error('a CUDA GPU is needed for this benchmark.')
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmengine', log_level='WARNING')
    print(f'{torch.cuda.get_device_name()}, torch {torch.__version__}',
          flush=True)
    results = []
    for arch in args.arch:
        if not args.skip_incubation:
            results += bench_arch(arch, args.batch, args.iters, args.warmup)
        if args.transfer:
            results += bench_transfer(arch, args.transfer_batch, args.iters,
                                      args.warmup)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
