"""The whole Deep Incubation schedule as one mmengine training loop."""
import copy
import math
import random
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop, set_random_seed

from mmincubate.models.algorithms.deep_incubation import PHASES
from mmincubate.registry import LOOPS
from .per_module_grad_clip import PerModuleGradClip
from .phase_selection import check_phase_sources


@dataclass
class Stage:
    """One contiguous piece of the schedule with one trainable set.

    ``incubate`` in sequential mode becomes one stage per module.
    """
    phase: str
    modules: Tuple[int, ...]
    by_epoch: bool
    length: int  # epochs when by_epoch, else iterations
    val_interval: int
    val_begin: int
    drop_path_rate: float
    optim_wrapper: dict
    param_scheduler: Optional[list]
    # filled in by the loop from the dataloader length
    begin_iter: int = 0
    end_iter: int = 0
    begin_epoch: int = 0
    num_epochs: int = 0

    @property
    def name(self) -> str:
        if self.phase == 'incubate':
            return f'incubate{list(self.modules)}'
        return self.phase


def _merge(base: dict, override: Optional[dict]) -> dict:
    """``override`` onto ``base`` like config inheritance (``_delete_``)."""
    merged = copy.deepcopy(dict(base))
    if override:
        merged = Config._merge_a_into_b(copy.deepcopy(dict(override)), merged)
    return merged


@LOOPS.register_module()
class IncubationLoop(BaseLoop):
    """Meta-model training, incubation of the modules, fine-tuning: one run.

    Each phase has its own length (``max_epochs`` or ``max_iters``),
    ``optim_wrapper`` (merged onto the top-level one), ``param_scheduler``
    (replacing the top-level one, with ``begin``/``end`` counted from the
    phase start), ``val_interval`` and ``drop_path_rate``. Any subset of
    phases may run alone. At each phase boundary the trainable set switches,
    the optimizer and schedulers are rebuilt for exactly that set, and the
    model is re-wrapped for DDP over it. Validation runs at every
    ``val_interval`` and at the end of every phase: the meta model after
    ``meta``, each hybrid after its incubation, the assembled model once all
    modules are incubated, and the target during ``finetune``.

    Args:
        runner: the runner.
        dataloader: the training dataloader (config or object).
        phases: the ordered phases, each a dict with ``phase`` in
            ``('meta', 'incubate', 'finetune')``; ``incubate`` takes
            ``modules`` (default: all) and ``mode`` (``'parallel'``: all
            modules every step, losses summed; ``'sequential'``: one module
            after another, each for the full length with its own schedule).

    Example:
        >>> train_cfg = dict(
        ...     type='IncubationLoop',
        ...     phases=[
        ...         dict(phase='meta', max_epochs=300),
        ...         dict(phase='incubate', max_epochs=100, drop_path_rate=0.1,
        ...              modules=[0, 1, 2, 3], mode='parallel'),
        ...         dict(phase='finetune', max_epochs=100, drop_path_rate=0.1,
        ...              optim_wrapper=dict(clip_grad=dict(max_norm=1.0))),
        ...     ])
    """

    def __init__(self, runner, dataloader: Union[dict, object],
                 phases: Sequence[dict]) -> None:
        super().__init__(runner, dataloader)
        model = self._model
        self.num_modules = model.num_modules
        self.stages = self._parse_phases(phases)
        self._lay_out_stages()
        self._epoch = 0
        self._iter = 0
        self._active_stage: Optional[int] = None
        # what _restore_rng applies: a random state or a seed
        self._pending_rng: Optional[Union[dict, int]] = None
        # (iteration, every rank's random states) from gather_rng()
        self._gathered_rng: Optional[Tuple[int, list]] = None
        self._finish_pending = False
        #: metrics per validation tag ('meta', 'hybrid1', 'assembled', ...)
        self.phase_metrics: Dict[str, dict] = {}
        #: modules incubated to the end of their stage in this run
        self.incubated_modules: List[int] = []
        self._check_sources()

    # ------------------------------------------------------------------
    # schedule
    # ------------------------------------------------------------------
    @property
    def _model(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    def _parse_phases(self, phases: Sequence[dict]) -> List[Stage]:
        if not phases:
            raise ValueError('IncubationLoop needs at least one phase.')
        default_optim = dict(self.runner.optim_wrapper) if isinstance(
            self.runner.optim_wrapper, dict) else {}
        default_sched = self.runner.param_schedulers
        stages = []
        allowed = {
            'phase', 'max_epochs', 'max_iters', 'val_interval', 'val_begin',
            'drop_path_rate', 'optim_wrapper', 'param_scheduler', 'modules',
            'mode'
        }
        for index, cfg in enumerate(phases):
            cfg = dict(cfg)
            phase = cfg.get('phase')
            if phase not in PHASES:
                raise ValueError(
                    f'Phase {index} has phase={phase!r}; choose from '
                    f'{PHASES}.')
            unknown = set(cfg) - allowed
            if unknown:
                raise ValueError(
                    f'Phase {index} ({phase}) has unknown keys '
                    f'{sorted(unknown)}; allowed: {sorted(allowed)}.')
            if ('max_epochs' in cfg) == ('max_iters' in cfg):
                raise ValueError(
                    f'Phase {index} ({phase}) needs exactly one of '
                    'max_epochs and max_iters.')
            by_epoch = 'max_epochs' in cfg
            length = int(cfg['max_epochs'] if by_epoch else cfg['max_iters'])
            if length < 1:
                raise ValueError(
                    f'Phase {index} ({phase}) has length {length}; it must '
                    'be at least 1.')
            modules: Tuple[int, ...] = ()
            mode = cfg.get('mode', 'parallel')
            if phase == 'incubate':
                modules = tuple(
                    cfg.get('modules', range(self.num_modules)))
                for m in modules:
                    if not isinstance(m, int) or not 0 <= m < self.num_modules:
                        raise ValueError(
                            f'Phase {index} (incubate) lists module {m!r}, '
                            f'but the target has {self.num_modules} modules '
                            f'(0..{self.num_modules - 1}).')
                if len(set(modules)) != len(modules) or not modules:
                    raise ValueError(
                        f'Phase {index} (incubate) modules={list(modules)} '
                        'must be a non-empty list without repeats.')
                if mode not in ('parallel', 'sequential'):
                    raise ValueError(
                        f'Phase {index} (incubate) mode={mode!r}; choose '
                        '"parallel" or "sequential".')
            elif 'modules' in cfg or 'mode' in cfg:
                raise ValueError(
                    f'Phase {index} ({phase}) takes no modules/mode; only '
                    'incubate does.')
            scheduler = cfg.get('param_scheduler', default_sched)
            if isinstance(scheduler, dict):
                scheduler = [scheduler]
            common = dict(
                phase=phase,
                by_epoch=by_epoch,
                length=length,
                val_interval=int(cfg.get('val_interval', 1)),
                val_begin=int(cfg.get('val_begin', 1)),
                drop_path_rate=float(cfg.get('drop_path_rate', 0.0)),
                optim_wrapper=_merge(default_optim, cfg.get('optim_wrapper')),
                param_scheduler=copy.deepcopy(scheduler))
            if phase == 'incubate' and mode == 'sequential':
                stages += [Stage(modules=(m, ), **common) for m in modules]
            else:
                stages.append(Stage(modules=modules, **common))
        return stages

    def _lay_out_stages(self) -> None:
        epoch_length = len(self.dataloader)
        if epoch_length < 1:
            raise ValueError('The training dataloader is empty.')
        begin_iter = begin_epoch = 0
        for stage in self.stages:
            iters = (stage.length * epoch_length
                     if stage.by_epoch else stage.length)
            stage.begin_iter, stage.end_iter = begin_iter, begin_iter + iters
            stage.begin_epoch = begin_epoch
            # every stage starts on a fresh pass over the data
            stage.num_epochs = math.ceil(iters / epoch_length)
            begin_iter += iters
            begin_epoch += stage.num_epochs
        self._max_iters = begin_iter
        self._max_epochs = begin_epoch
        self.epoch_length = epoch_length

    def _check_sources(self) -> None:
        """Incubation needs a meta model; fine-tuning an assembled target."""
        model = self._model
        check_phase_sources(
            [dict(phase=s.phase, modules=list(s.modules))
             for s in self.stages], self.num_modules, model.meta_checkpoint,
            model.target_checkpoint,
            self.runner._load_from is not None or self.runner._resume)

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_iters

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    @property
    def active_stage(self) -> Optional[Stage]:
        return None if self._active_stage is None else self.stages[
            self._active_stage]

    def stage_index_at(self, iteration: int) -> int:
        """Index of the stage that trains iteration ``iteration``."""
        for index, stage in enumerate(self.stages):
            if iteration < stage.end_iter:
                return index
        return len(self.stages) - 1

    def _epoch_at(self, iteration: int) -> int:
        stage = self.stages[self.stage_index_at(iteration)]
        if iteration >= stage.end_iter:
            return stage.begin_epoch + stage.num_epochs
        return stage.begin_epoch + (iteration -
                                    stage.begin_iter) // self.epoch_length

    # ------------------------------------------------------------------
    # phase switching
    # ------------------------------------------------------------------
    def enter_stage(self, index: int) -> None:
        """Switch the model, DDP wrapper, optimizer and schedulers to a
        stage. Called at the stage start, and on resume before the
        checkpoint's optimizer and scheduler states are loaded."""
        runner = self.runner
        stage = self.stages[index]
        model = self._model
        model.set_phase(stage.phase, stage.modules, stage.drop_path_rate)
        self._clear_stage_logs()
        trainable = [p for p in model.parameters() if p.requires_grad]
        if not trainable:
            raise RuntimeError(f'Stage {stage.name} has nothing to train.')
        # Re-wrap so DDP registers exactly the new trainable set; the old
        # wrapper (and its reducer hooks) is dropped.
        old = runner.model
        runner.model = runner.wrap_model(runner.cfg.get('model_wrapper_cfg'),
                                         model)
        del old

        optim_wrapper = runner.build_optim_wrapper(
            copy.deepcopy(stage.optim_wrapper))
        self._keep_only_trainable(optim_wrapper, stage)
        if len(stage.modules) > 1 and optim_wrapper.clip_grad_kwargs:
            optim_wrapper.clip_func = PerModuleGradClip(
                optim_wrapper.clip_func, {
                    m: [
                        p for n, p in model.target.named_parameters()
                        if model.owner_of(n) == m
                    ]
                    for m in stage.modules
                })
        runner.optim_wrapper = optim_wrapper
        runner.scale_lr(optim_wrapper, runner.auto_scale_lr)
        if stage.param_scheduler:
            runner.param_schedulers = runner.build_param_scheduler(
                self._scheduler_cfgs(stage))
        else:
            runner.param_schedulers = []
        done = max(0, min(self._iter, stage.end_iter) - stage.begin_iter)
        optim_wrapper.initialize_count_status(runner.model, done,
                                              stage.end_iter -
                                              stage.begin_iter)
        self._active_stage = index
        runner.logger.info(
            f'Stage {index + 1}/{len(self.stages)} "{stage.name}": '
            f'{stage.length} {"epochs" if stage.by_epoch else "iters"} '
            f'(iters {stage.begin_iter}..{stage.end_iter}), '
            f'{sum(p.numel() for p in trainable):,} trainable parameters, '
            f'drop path {stage.drop_path_rate}')

    def _scheduler_cfgs(self, stage: Stage) -> list:
        """The stage's schedulers; a missing ``end`` is the stage's end, in
        the scheduler's own unit (epochs if ``by_epoch``, else iterations)."""
        cfgs = copy.deepcopy(list(stage.param_scheduler))
        iters = stage.end_iter - stage.begin_iter
        for cfg in cfgs:
            if isinstance(cfg, dict) and cfg.get('end') is None:
                by_epoch = cfg.get('by_epoch', True)
                if by_epoch and not stage.by_epoch:
                    raise ValueError(
                        f'Stage {stage.name} is iteration-based; give its '
                        f'epoch-based scheduler {cfg.get("type")} an '
                        'explicit end or by_epoch=False.')
                cfg['end'] = stage.length if by_epoch else iters
        return cfgs

    def _clear_stage_logs(self) -> None:
        """Forget the previous stage's per-module scalars so they are not
        logged again as stale values."""
        scalars = self.runner.message_hub.log_scalars
        for key in [k for k in scalars if '_module' in k]:
            scalars.pop(key)

    @staticmethod
    def _keep_only_trainable(optim_wrapper, stage: Stage) -> None:
        """Drop frozen parameters an optimizer constructor may have added
        (mmengine's default constructor adds all without ``paramwise_cfg``).
        Nothing has been stepped yet, so no state is lost."""
        optimizer = optim_wrapper.optimizer
        kept = []
        for group in optimizer.param_groups:
            group['params'] = [p for p in group['params'] if p.requires_grad]
            if group['params']:
                kept.append(group)
        optimizer.param_groups = kept
        if not kept:
            raise RuntimeError(
                f'Stage {stage.name}: the optimizer has no trainable '
                'parameters.')

    # ------------------------------------------------------------------
    # resume
    # ------------------------------------------------------------------
    def restore(self, checkpoint: dict) -> None:
        """Rebuild the state of the stage a checkpoint was written in,
        before the runner loads its optimizer and scheduler states."""
        meta = checkpoint.get('meta', {})
        iteration = int(meta.get('iter', 0))
        state = checkpoint.get('incubation')
        if state is not None:
            saved = state.get('stages')
            if saved is not None and saved != self.stage_signature():
                raise ValueError(
                    'The checkpoint was written by a different incubation '
                    f'schedule: {saved} vs this config\'s '
                    f'{self.stage_signature()}. Resume with the config the '
                    'run started with.')
            self.phase_metrics = dict(state.get('phase_metrics', {}))
            self.incubated_modules = list(state.get('incubated_modules', []))
            self._pending_rng = self._rng_for_this_rank(
                state.get('rng'), iteration)
        self._iter = iteration
        # the optimizer state belongs to the stage that trained iteration-1
        index = self.stage_index_at(max(iteration - 1, 0))
        self._epoch = self._epoch_at(iteration)
        self.enter_stage(index)
        self._finish_pending = (iteration == self.stages[index].end_iter
                                and iteration > 0)

    def stage_signature(self) -> list:
        return [[s.phase, list(s.modules), s.begin_iter, s.end_iter]
                for s in self.stages]

    def state_dict(self) -> dict:
        """The loop's part of a checkpoint (written on rank 0).

        ``rng`` is a list with the random states of every rank, indexed by
        rank (see :meth:`gather_rng` and :meth:`restore`).
        """
        return dict(
            stages=self.stage_signature(),
            active_stage=self._active_stage,
            phase_metrics=copy.deepcopy(self.phase_metrics),
            incubated_modules=list(self.incubated_modules),
            rng=self._rng_states())

    # ------------------------------------------------------------------
    # random states of every rank
    # ------------------------------------------------------------------
    def gather_rng(self) -> None:
        """Collect the random states of all ranks for the checkpoint about
        to be written at this iteration.

        A collective: every rank must call it (``IncubationHook`` does, just
        before ``CheckpointHook`` saves). The checkpoint itself is written by
        rank 0 alone, which cannot reach the other ranks' states from there.
        Nothing to do in a single process.
        """
        if get_dist_info()[1] > 1:
            self._gathered_rng = (self._iter, all_gather_object(capture_rng()))

    def _rng_states(self) -> list:
        world_size = get_dist_info()[1]
        if world_size == 1:
            return [capture_rng()]
        if self._gathered_rng is not None and \
                self._gathered_rng[0] == self._iter:
            return self._gathered_rng[1]
        # Saved without gather_rng() (e.g. a direct runner.save_checkpoint
        # call): only this rank's states are at hand.
        self.runner.logger.warning(
            'Saving a checkpoint whose random states were not gathered from '
            'all ranks (IncubationHook gathers them for CheckpointHook); '
            'resuming from it will reseed the ranks instead of replaying '
            'their random streams.')
        return [capture_rng()] + [None] * (world_size - 1)

    def _rng_for_this_rank(self, saved, iteration: int):
        """This rank's random state from a checkpoint's ``rng``, or, when
        the checkpoint cannot give it, a deterministic seed.

        A checkpoint holds one state per rank. Resumed with the same number
        of processes, rank r gets entry r and the run continues bit for bit
        (on CPU; as far as the kernels are deterministic on GPU). With a
        different number of processes the data sharding changes and exact
        replay is impossible anyway, so, like mmengine when resuming on
        another number of GPUs, the run goes on with a warning: every rank is
        reseeded from (seed, iteration, rank), reproducibly and with distinct
        streams per rank. A checkpoint from before per-rank states (a single
        dict) counts as one written by one process.
        """
        if saved is None:
            return None
        if isinstance(saved, dict):
            saved = [saved]
        rank, world_size = get_dist_info()
        if len(saved) == world_size and saved[rank] is not None:
            return saved[rank]
        if len(saved) != world_size:
            reason = (f'the checkpoint was written by {len(saved)} '
                      f'process(es), this run has {world_size}')
        else:
            reason = f'the checkpoint holds no random state of rank {rank}'
        seed = derived_seed(self.runner.seed or 0, iteration, rank)
        self.runner.logger.warning(
            f'Exact replay of the random streams is not possible: {reason}. '
            f'Rank {rank} is reseeded with {seed} (from the seed, the '
            'iteration and the rank).')
        return seed

    # ------------------------------------------------------------------
    # running
    # ------------------------------------------------------------------
    def run(self) -> torch.nn.Module:
        runner = self.runner
        runner.call_hook('before_train')
        if self._finish_pending:
            # Resumed exactly at a stage end: the end-of-stage validation and
            # exports are idempotent, so they run again in case the previous
            # process died during them.
            self._restore_rng()
            self._finish_stage(self._active_stage)
            self._finish_pending = False
        while self._iter < self._max_iters:
            index = self.stage_index_at(self._iter)
            if self._iter == self.stages[index].begin_iter:
                self.enter_stage(index)
                self._on_stage_start(index)
            elif self._active_stage != index:
                self.enter_stage(index)
            self._run_stage(index)
            self._finish_stage(index)
        runner.call_hook('after_train')
        return runner.model

    def _on_stage_start(self, index: int) -> None:
        stage = self.stages[index]
        self.runner.call_hook('before_incubation_stage', stage=stage)
        if stage.phase == 'finetune' and 'assembled' not in \
                self.phase_metrics:
            self._validate('assembled', 'target')
        self._reseed_for(stage)

    def _reseed_for(self, stage: Stage) -> None:
        """Start every stage from the random state a run of that phase
        alone would have: seeded from (seed, phase[, rank]), whatever ran
        before it. So module i incubated in its own job (``--phases incubate
        --modules i``) trains exactly as in a one-job sequential schedule,
        and ``--phases finetune`` from ``assembled.pth`` as the one-job
        fine-tuning."""
        runner = self.runner
        if runner.seed is None:
            return
        key = [runner.seed, PHASES.index(stage.phase)]
        if runner._randomness_cfg.get('diff_rank_seed', False):
            key.append(get_dist_info()[0])
        set_random_seed(
            derived_seed(*key),
            deterministic=runner._randomness_cfg.get('deterministic', False))

    def _set_sampler_epoch(self, stage: Stage) -> None:
        """Shuffle by the epoch counted from the stage start (overriding
        DistSamplerSeedHook's global epoch), so a stage sees the data order
        it would see run alone."""
        loader = self.dataloader
        sampler = loader.sampler if hasattr(loader.sampler, 'set_epoch') \
            else getattr(getattr(loader, 'batch_sampler', None), 'sampler',
                         None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(self._epoch - stage.begin_epoch)

    def _run_stage(self, index: int) -> None:
        stage = self.stages[index]
        runner = self.runner
        while self._iter < stage.end_iter:
            self._epoch = self._epoch_at(self._iter)
            done_in_epoch = (self._iter - stage.begin_iter) % self.epoch_length
            todo = min(self.epoch_length - done_in_epoch,
                       stage.end_iter - self._iter)
            runner.call_hook('before_train_epoch')
            self._set_sampler_epoch(stage)
            runner.model.train()
            if done_in_epoch == 0:
                self._restore_rng()
            batches = iter(self.dataloader)
            for _ in range(done_in_epoch):  # resume inside an epoch
                next(batches)
            self._restore_rng()
            for idx in range(done_in_epoch, done_in_epoch + todo):
                self.run_iter(idx, next(batches))
                if not stage.by_epoch and self._should_validate(stage):
                    self._validate_stage(stage)
            del batches
            runner.call_hook('after_train_epoch')
            self._epoch += 1
            if stage.by_epoch and self._should_validate(stage):
                self._validate_stage(stage)

    def run_iter(self, idx: int, data_batch) -> None:
        runner = self.runner
        runner.call_hook(
            'before_train_iter', batch_idx=idx, data_batch=data_batch)
        outputs = runner.model.train_step(
            data_batch, optim_wrapper=runner.optim_wrapper)
        runner.call_hook(
            'after_train_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1

    def _restore_rng(self) -> None:
        if isinstance(self._pending_rng, int):
            set_random_seed(self._pending_rng)
        elif self._pending_rng is not None:
            restore_rng(self._pending_rng)
        self._pending_rng = None

    def _should_validate(self, stage: Stage) -> bool:
        if self.runner.val_loop is None:
            return False
        if stage.by_epoch:
            done = self._epoch - stage.begin_epoch
        else:
            done = self._iter - stage.begin_iter
        at_end = self._iter >= stage.end_iter
        return (not at_end and done >= stage.val_begin
                and done % stage.val_interval == 0)

    def _validate_stage(self, stage: Stage) -> None:
        if stage.phase == 'meta':
            self._validate('meta', 'meta')
        elif stage.phase == 'finetune':
            self._validate('', 'target')
        else:
            for m in stage.modules:
                self._validate(f'hybrid{m}', ('hybrid', m))

    def _validate(self, tag: str, eval_target) -> Optional[dict]:
        runner = self.runner
        if runner.val_loop is None:
            return None
        model = self._model
        metrics_objs = runner.val_loop.evaluator.metrics
        prefixes = [m.prefix for m in metrics_objs]
        model.eval_target = eval_target
        try:
            for m in metrics_objs:
                m.prefix = f'{tag}/{m.prefix}' if tag else m.prefix
            metrics = runner.val_loop.run()
        finally:
            for m, prefix in zip(metrics_objs, prefixes):
                m.prefix = prefix
            model.eval_target = 'target'
        self.phase_metrics[tag or 'final'] = {
            k: float(v) if isinstance(v, (int, float, np.floating)) else v
            for k, v in metrics.items()
        }
        return metrics

    def assembly_complete(self, stage: Stage) -> bool:
        """Whether all modules are incubated once ``stage`` ends and no later
        stage incubates again: the target is then the assembled model."""
        later = [s.phase for s in self.stages[self.stages.index(stage) + 1:]]
        return (sorted(self.incubated_modules) == list(
            range(self.num_modules)) and 'incubate' not in later)

    def _finish_stage(self, index: int) -> None:
        """Validate at the stage end and export its results (idempotent)."""
        stage = self.stages[index]
        self._validate_stage(stage)
        if stage.phase == 'incubate':
            for m in stage.modules:
                if m not in self.incubated_modules:
                    self.incubated_modules.append(m)
            if self.assembly_complete(stage):
                self._validate('assembled', 'target')
        # a custom hook point: IncubationHook exports the stage's results
        self.runner.call_hook('after_incubation_stage', stage=stage)


def derived_seed(seed: int, *key: int) -> int:
    """A seed drawn from (seed, key...), distinct for distinct keys."""
    return int(
        np.random.SeedSequence([int(seed) % 2**32,
                                *map(int, key)]).generate_state(1)[0])


def capture_rng() -> dict:
    """The process's random states, for bitwise-exact resume."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict) -> None:
    """Set the process's random states from :func:`capture_rng`."""
    random.setstate(_to_python(state['python']))
    np.random.set_state(state['numpy'])
    # the runner may load checkpoints onto the GPU (map_location 'default');
    # random states must be CPU byte tensors
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        cuda_states = state['cuda'][:torch.cuda.device_count()]
        for index, cuda_state in enumerate(cuda_states):
            torch.cuda.set_rng_state(cuda_state.cpu(), index)


def _to_python(value):
    """random.setstate needs tuples; a checkpoint round trip keeps them."""
    if isinstance(value, list):
        return tuple(_to_python(v) for v in value)
    return value
