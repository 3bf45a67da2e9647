"""Train with an mmincubate, mmpretrain, mmdet or mmseg config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [PATH]] [--amp]
                          [--amp-dtype bfloat16|float16]
                          [--phases meta,incubate,finetune] [--modules 0,2]
                          [--cfg-options key=value ...] [--launcher pytorch]
                          [--dry-run]
    bash tools/dist_train.sh CONFIG GPUS [args]

``--phases`` runs only the named phases of the config's incubation schedule
(with their configured settings), ``--modules`` incubates only the listed
modules; ``--cfg-options`` is applied first, so ``train_cfg.phases.N`` counts
the config's phases. ``--dry-run`` loads and checks everything, prints the
schedule and exits without building or writing anything. Bad input (a split
that does not fit the target, an unknown phase or module, a file that is not
the checkpoint it should be, a resume under another schedule) is reported in
one paragraph before anything is built or written, in dry runs too.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmincubate.import_gc import imports_outside_gc

with imports_outside_gc():
    from mmengine.config import Config

    from mmincubate.apis import (INPUT_ERRORS, apply_schedule_args,
                                 check_training_inputs,
                                 run_reporting_input_errors)
    from mmincubate.engine.runners.distributed_env import \
        shut_down_distributed
    from mmincubate.utils.cfg_options import LiteralDictAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or, without a path, from the '
        'latest checkpoint in the work_dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision: bf16 autocast by default (no loss '
        'scaler; CPU and GPU), see --amp-dtype; a config that already sets '
        'AmpOptimWrapper keeps it')
    parser.add_argument(
        '--amp-dtype',
        choices=['bfloat16', 'float16'],
        default='bfloat16',
        help="--amp's dtype: bfloat16 (BF16AutocastOptimWrapper) or float16 "
        "(mmengine's AmpOptimWrapper with a dynamic loss scale, GPU only)")
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='skip validation during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual batch size')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in all dataloaders')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent_workers in all dataloaders')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=LiteralDictAction,
        help='override settings in the config, key=value pairs; a list is '
        'key="[a,b]" or key=a,b; a list entry is key.N=value; Python '
        'literals with dict(...) work, e.g. '
        '\'train_cfg.phases=[dict(phase="meta",max_epochs=1)]\'')
    parser.add_argument(
        '--phases',
        help='run only these phases of the incubation schedule, '
        'comma-separated, e.g. meta or incubate,finetune')
    parser.add_argument(
        '--modules',
        help='incubate only these modules, comma-separated, e.g. 2 or 0,1')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='check the config, the overrides and the schedule, print the '
        'schedule, and exit without training')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or
    # --local_rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


# optimizer wrappers that already run mixed precision: --amp keeps them
AMP_WRAPPERS = ('AmpOptimWrapper', 'mmengine.AmpOptimWrapper',
                'BF16AutocastOptimWrapper', 'mmincubate.BF16AutocastOptimWrapper')


def _set_dataloader_flag(cfg: Config, key: str, value: bool) -> None:
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name) is not None:
            cfg[name][key] = value


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command line onto the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp_dtype != 'bfloat16' and not args.amp:
        raise ValueError('--amp-dtype only applies with --amp; add --amp.')
    if args.amp and cfg.get('optim_wrapper') is not None:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in AMP_WRAPPERS:
            if args.amp_dtype == 'bfloat16':
                cfg.optim_wrapper.type = 'BF16AutocastOptimWrapper'
            else:
                cfg.optim_wrapper.type = 'AmpOptimWrapper'
                cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.auto_scale_lr:
        if cfg.get('auto_scale_lr') is None:
            raise ValueError(
                '--auto-scale-lr needs `auto_scale_lr=dict(base_batch_size=N)` '
                'in the config: the batch size its learning rate is set for.')
        cfg.auto_scale_lr.enable = True

    if args.no_pin_memory:
        _set_dataloader_flag(cfg, 'pin_memory', False)
    if args.no_persistent_workers:
        _set_dataloader_flag(cfg, 'persistent_workers', False)
    return cfg


def describe(cfg: Config) -> str:
    """What a run of ``cfg`` would do, for ``--dry-run``."""
    lines = [f'work_dir: {cfg.work_dir}']
    train_cfg = cfg.get('train_cfg') or {}
    for index, phase in enumerate(train_cfg.get('phases') or []):
        settings = ', '.join(f'{k}={v}' for k, v in phase.items()
                             if k != 'phase')
        lines.append(f'phase {index}: {phase["phase"]} ({settings})')
    if not train_cfg.get('phases'):
        lines.append(f'train_cfg: {dict(train_cfg)}')
    if (cfg.get('model') or {}).get('meta_init') is not None:
        lines.append(f'model.meta_init: {cfg.model.meta_init} (the meta '
                     'model is neither trained nor loaded)')
    for key in ('meta_checkpoint', 'target_checkpoint'):
        value = (cfg.get('model') or {}).get(key)
        if value is not None:
            state = 'found' if osp.isfile(value) else 'not found yet'
            lines.append(f'model.{key}: {value} ({state})')
    if cfg.get('load_from'):
        lines.append(f'load_from: {cfg.load_from}')
    if cfg.get('resume'):
        lines.append('resume: yes')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    try:
        cfg = merge_args(cfg, args)
        stages = apply_schedule_args(cfg, args.phases, args.modules,
                                     args.config)
        check_training_inputs(cfg, stages if stages else None,
                              real_run=not args.dry_run)
    except INPUT_ERRORS as error:
        raise SystemExit(f'error: {error}') from None
    if args.dry_run:
        print(f'dry run of {args.config}: nothing is built or written')
        print(describe(cfg))
        return
    run_reporting_input_errors(cfg, 'train')
    shut_down_distributed()


if __name__ == '__main__':
    main()
