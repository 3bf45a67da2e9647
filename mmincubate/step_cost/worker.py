"""What one mode's process of the step-cost benchmark does
(:mod:`.mode_host`): the
config's model as the benchmark measures it, its batches, one mode's
figures; and the data pipeline's cost per batch. ``args`` is the tool's
parsed command line."""
import copy

import torch

DEFAULT_CONFIG = 'configs/incubate/vit_b_k4.py'


def model_cfg(args):
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = cfg.model
    if model.get('type') != 'DeepIncubation':
        raise ValueError(
            f'{args.config} is not a Deep Incubation config (model.type '
            f'{model.get("type")!r}); pass one such as {DEFAULT_CONFIG}.')
    if not args.batch_augments:
        model.target.train_cfg = None
        model.target.head.loss = dict(type='CrossEntropyLoss')
    if args.with_cp:
        model.with_cp = True
    return cfg


def loader_cfg(args, cfg) -> dict:
    """``--data``'s train_dataloader with ``--batch`` images per batch."""
    from mmengine.config import Config
    data_cfg = cfg if args.data == 'SAME' else Config.fromfile(args.data)
    if args.data_options:
        data_cfg.merge_from_dict(args.data_options)
    loader_cfg = copy.deepcopy(data_cfg.train_dataloader)
    loader_cfg['batch_size'] = args.batch
    return loader_cfg


def data_cost(args, cfg, num_modules: int) -> dict:
    """The data pipeline's CPU seconds per batch, and what they add up to
    per step of all K modules: once in one job, K times in K jobs."""
    from mmengine.registry import init_default_scope

    from mmincubate.step_cost.measure import data_seconds_per_batch
    init_default_scope(cfg.get('default_scope', 'mmincubate'))
    seconds = data_seconds_per_batch(loader_cfg(args, cfg))
    print(f'data pipeline: {seconds * 1e3:.1f} CPU ms per batch of '
          f'{args.batch} (in the main process, no workers): one job of all '
          f'{num_modules} modules pays it once per step, {num_modules} '
          f'single-module jobs {num_modules} times; the workers hide it '
          'only where spare cores run them')
    return dict(data_sec_per_batch=seconds)


def step_batches(args, cfg, model):
    """The data of every step: the real dataloader or one fixed batch."""
    from mmengine.registry import FUNCTIONS
    from mmengine.runner import Runner

    from mmincubate.step_cost.measure import (loader_batches,
                                              synthetic_batches)
    if args.data is not None:
        return loader_batches(Runner.build_dataloader(
            loader_cfg(args, cfg), seed=0))
    collate_cfg = dict(cfg.get('train_dataloader', {}).get(
        'collate_fn', dict(type='pseudo_collate')))
    collate = FUNCTIONS.get(collate_cfg.pop('type'))
    backbone = cfg.model.target.backbone
    size = backbone.get('img_size', 224)
    size = size[0] if isinstance(size, (list, tuple)) else size
    return synthetic_batches(args.batch, model.target.head.num_classes, size,
                             lambda samples: collate(samples, **collate_cfg),
                             channels=backbone.get('in_channels', 3))


def run_worker(args, mode: str) -> dict:
    """Measure ``mode`` in this process."""
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    from mmincubate.step_cost.measure import measure_mode
    from mmincubate.step_cost.modes import expand_modes
    from mmincubate.registry import MODELS
    MMLogger.get_instance('mmengine', log_level='WARNING')
    torch.manual_seed(0)
    cfg = model_cfg(args)
    init_default_scope(cfg.get('default_scope', 'mmincubate'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.to(args.device)
    if args.compile:
        model.compile_blocks()
    batches = step_batches(args, cfg, model)
    optimizer_cfg = dict(lr=1e-4, weight_decay=0.05)
    if args.optimizer_impl != 'default':
        optimizer_cfg[args.optimizer_impl] = True
    measured = expand_modes(args.modes, model.num_modules)
    result = measure_mode(model, mode, batches, args.iters,
                          args.warmup, drop_path_rate=args.drop_path,
                          optimizer_cfg=optimizer_cfg, amp=args.amp,
                          clip_grad=args.clip_grad,
                          reference='e2e' if 'e2e' in measured else None,
                          profile_ops=args.profile_ops)
    result['num_modules'] = model.num_modules
    return result
