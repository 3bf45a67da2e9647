"""The GPU step of PlainViT + SimpleFeaturePyramid at 1024x1024 (the
transfer backbone of the shipped Mask R-CNN configs), and a CUDA timer that
the transfer benchmark shares."""
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def timed_cuda(step: Callable[[], None], iters: int, warmup: int) -> Dict:
    """Median seconds of ``step`` on the GPU after ``warmup`` untimed
    calls, and the peak memory allocated meanwhile.

    Example:
        >>> timed_cuda(lambda: model(x).sum().backward(), 10, 3)
    """
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


def bench_transfer(arch: str, batch: int, iters: int,
                   warmup: int) -> List[Dict]:
    """PlainViT-``arch`` + SimpleFeaturePyramid forward and backward at
    1024x1024 in bf16, with and without ``with_cp``."""
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
            row = timed_cuda(step, iters, warmup)
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
