"""Evaluate a checkpoint with a classification, detection or segmentation
config (the scope comes from the config's ``default_scope``).

    python tools/test.py CONFIG CHECKPOINT [--out results.pkl] [--show-dir DIR]
                         [--tta] [--cfg-options key=value ...] [--dry-run]
    bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmincubate.import_gc import imports_outside_gc

with imports_outside_gc():
    from mmengine.config import Config

    from mmincubate.apis import (INPUT_ERRORS, check_checkpoint_file,
                                 check_dataset_paths,
                                 run_reporting_input_errors)
    from mmincubate.engine.runners.distributed_env import \
        shut_down_distributed
    from mmincubate.utils.cfg_options import LiteralDictAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out', help='dump the raw predictions to this pickle file')
    parser.add_argument(
        '--show-dir',
        help='save visualized predictions into this directory '
        '(relative to the work_dir unless absolute)')
    parser.add_argument(
        '--show', action='store_true', help='show predictions in a window')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation with the config\'s `tta_model` and '
        '`tta_pipeline`')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=LiteralDictAction,
        help='override settings in the config, key=value pairs')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='check the config, the checkpoint path and the options, then '
        'exit without building or evaluating anything')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_visualization(cfg: Config, show_dir: str, show: bool) -> None:
    """Turn on the library's visualization hook (mmpretrain, mmdet, mmseg)."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise ValueError(
            '--show-dir/--show need a `visualization` entry in '
            '`default_hooks` (VisualizationHook, DetVisualizationHook or '
            'SegVisualizationHook); this config has none.')
    hook_type = str(hook.get('type', ''))
    hook['show'] = show
    if 'DetVisualizationHook' in hook_type:
        hook['draw'] = True
        if show_dir:
            hook['test_out_dir'] = show_dir
    elif 'SegVisualizationHook' in hook_type:
        hook['draw'] = True
        if show_dir:  # relative to the work_dir, like mmdet's test_out_dir
            cfg.visualizer['save_dir'] = osp.join(cfg.work_dir, show_dir)
    else:  # mmpretrain VisualizationHook
        hook['enable'] = True
        if show_dir:
            hook['out_dir'] = show_dir


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False

    if args.show or args.show_dir:
        enable_visualization(cfg, args.show_dir, args.show)

    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise ValueError(
                '--tta needs `tta_model` and `tta_pipeline` in the config '
                '(mmpretrain and mmseg configs have them; mmdet\'s '
                'DetTTAModel cannot merge instance masks, so the Mask R-CNN '
                'configs have none).')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model

    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError('--out must be a .pkl or .pickle file.')
        # mmdet's and mmseg's predictions hold full-size masks / logits:
        # dump compact results (RLE masks; label maps) as their tools do
        dumpers = {'mmdet': 'mmdet.DumpDetResults',
                   'mmseg': 'mmincubate.DumpSegResults'}
        dump = dict(type=dumpers.get(cfg.get('default_scope'),
                                     'mmengine.DumpResults'),
                    out_file_path=args.out)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = [*evaluator, dump]
        elif 'metrics' in evaluator:
            metrics = evaluator['metrics']
            metrics = list(metrics) if isinstance(metrics,
                                                  (list, tuple)) else [metrics]
            evaluator['metrics'] = [*metrics, dump]
        else:
            cfg.test_evaluator = [evaluator, dump]
    return cfg


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    try:
        cfg = merge_args(cfg, args)
        check_checkpoint_file(args.checkpoint, 'CHECKPOINT', 'model',
                              must_exist=not args.dry_run)
        if not args.dry_run:
            check_dataset_paths(cfg, ('test_dataloader', ))
    except INPUT_ERRORS as error:
        raise SystemExit(f'error: {error}') from None
    if args.dry_run:
        state = 'found' if osp.isfile(args.checkpoint) else 'not found yet'
        print(f'dry run of {args.config}: nothing is built or written\n'
              f'work_dir: {cfg.work_dir}\ncheckpoint: {args.checkpoint} '
              f'({state})\ntest_evaluator: {cfg.get("test_evaluator")}')
        return
    runner, metrics = run_reporting_input_errors(cfg, 'test')
    runner.logger.info(f'test metrics: {metrics}')
    shut_down_distributed()


if __name__ == '__main__':
    main()
