"""A module-wise training schedule (Deep Incubation, local learning) as one
mmengine training loop."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dist import get_dist_info
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop, set_random_seed

from mmincubate.engine.hooks.incubation_hook import IncubationHook
from mmincubate.mmengine_compat import randomness_cfg
from mmincubate.registry import LOOPS
from mmincubate.utils.rng import RngState, derived_seed
from . import schedule
from .schedule import Stage
from .stage_ends import StageEnds
from .stage_optim import build_stage_optimization
from .stage_resume import StageResume
from .stage_scalars import forget_module_scalars


@LOOPS.register_module()
class IncubationLoop(StageEnds, StageResume, BaseLoop):
    """The phases of a module-wise training algorithm, in one run: for Deep
    Incubation meta-model training, incubation, fine-tuning; for local
    learning local training, fine-tuning.

    The loop knows no phase name: the model (a
    :class:`~mmincubate.models.algorithms.PhasedAlgorithm`) declares its
    phases, which take ``modules``, what each validates and exports (through
    ``IncubationHook``) and which weights it needs.

    Each phase has its own length (``max_epochs`` or ``max_iters``),
    ``optim_wrapper`` (merged onto the top-level one), ``param_scheduler``
    (replacing the top-level one, with ``begin``/``end`` counted from the
    phase start), ``val_interval`` and ``drop_path_rate``. Any subset of
    phases may run alone. At each stage boundary the trainable set switches,
    the optimizer and schedulers are rebuilt for exactly that set, and the
    model is re-wrapped for DDP over it. Validation runs at every
    ``val_interval`` and at the end of every stage (what the model's
    ``stage_validations`` names: for Deep Incubation the meta model after
    ``meta``, each hybrid after its incubation, the target during
    ``finetune``), and the assembled model once every module is trained.
    Setting
    ``stop_training`` (e.g. ``EarlyStoppingHook``) ends the run after the
    current iteration; the stage is then finished (validated, exported).

    Hooks hear of stages through custom events: ``before_incubation_stage
    (stage, resumed)``, ``after_incubation_val(tag, metrics,
    phase_metrics)`` and
    ``after_incubation_stage(stage, assembled, phase_metrics)``.
    ``IncubationHook`` (exports, resume) is added if the config lacks it.

    Args:
        runner: the runner.
        dataloader: the training dataloader (config or object).
        phases: the ordered phases, each a dict with ``phase`` one of the
            model's ``PHASES`` (``DeepIncubation``: ``meta``, ``incubate``,
            ``finetune``; ``LocalLearning``: ``local``, ``finetune``); a
            phase of ``MODULE_PHASES`` (``incubate``) takes ``modules``
            (default: all) and ``mode`` (``'parallel'``: all modules every
            step, the meta prefix shared, one backward per hybrid
            (``model.per_hybrid_backward``); ``'sequential'``: one module
            after another, each for the full length with its own
            schedule).

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

    #: it gives the random states of a resumed checkpoint back itself, at
    #: the exact point of the stage (RandomStateHook leaves them to it)
    replays_random_states = True

    def __init__(self, runner, dataloader: Union[dict, object],
                 phases: Sequence[dict]) -> None:
        super().__init__(runner, dataloader)
        model = self._model
        self.num_modules = model.num_modules
        optim_wrapper = runner.optim_wrapper
        self.stages: List[Stage] = schedule.parse_phases(
            phases, self.num_modules,
            dict(optim_wrapper) if isinstance(optim_wrapper, dict) else {},
            runner.param_schedulers, model.PHASES, model.MODULE_PHASES)
        self.epoch_length = len(self.dataloader)
        self._max_iters, self._max_epochs = schedule.lay_out(
            self.stages, self.epoch_length)
        self._epoch = self._iter = 0
        self._entered: Optional[int] = None
        self._pending_rng: Optional[RngState] = None
        self._finish_pending = False
        self.stop_training = False
        #: metrics per validation tag ('meta', 'hybrid1', 'assembled', ...)
        self.phase_metrics: Dict[str, dict] = {}
        #: modules trained to the end of their stage in this run
        self.incubated_modules: List[int] = []
        model.check_schedule(
            [dict(phase=s.phase, modules=list(s.modules))
             for s in self.stages], self.num_modules,
            dict(runner.cfg.get('model') or {}),
            runner._load_from is not None or runner._resume)
        self._ensure_incubation_hook()

    def _ensure_incubation_hook(self) -> None:
        """Hand this loop to the IncubationHook, added if missing."""
        hooks = [h for h in self.runner.hooks
                 if isinstance(h, IncubationHook)]
        if not hooks:
            self.runner.register_hook(dict(type='IncubationHook'))
            hooks = [h for h in self.runner.hooks
                     if isinstance(h, IncubationHook)]
            self.runner.logger.info(
                'IncubationLoop: added IncubationHook (resume, exports), '
                'which the config does not list in custom_hooks.')
        for hook in hooks:
            hook.attach(self)

    @property
    def _model(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

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

    def stage_index_at(self, iteration: int) -> int:
        """Index of the stage that trains iteration ``iteration``."""
        return schedule.stage_index_at(self.stages, iteration)

    # ------------------------------------------------------------------
    # stages
    # ------------------------------------------------------------------
    def enter_stage(self, index: int) -> None:
        """Switch the model, DDP wrapper, optimizer and schedulers to a
        stage. Called at the stage start, and on resume before the
        checkpoint's optimizer and scheduler states are loaded."""
        runner, stage, model = self.runner, self.stages[index], self._model
        model.set_phase(stage.phase, stage.modules, stage.drop_path_rate)
        forget_module_scalars(runner.message_hub)
        # Re-wrap so DDP registers exactly the new trainable set; the old
        # wrapper (and its reducer hooks) is dropped.
        old = runner.model
        runner.model = runner.wrap_model(runner.cfg.get('model_wrapper_cfg'),
                                         model)
        del old
        trainable = [p for p in model.parameters() if p.requires_grad]
        if not trainable:
            raise RuntimeError(f'Stage {stage.name} has nothing to train.')
        done = max(0, min(self._iter, stage.end_iter) - stage.begin_iter)
        build_stage_optimization(runner, model, stage, done)
        self._entered = index
        runner.logger.info(
            f'Stage {index + 1}/{len(self.stages)} "{stage.name}": '
            f'{stage.length} {"epochs" if stage.by_epoch else "iters"} '
            f'(iters {stage.begin_iter}..{stage.end_iter}), '
            f'{sum(p.numel() for p in trainable):,} trainable parameters, '
            f'drop path {stage.drop_path_rate}')

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
            self._apply_pending_rng()
            self._finish_stage(self._entered)
            self._finish_pending = False
        while self._iter < self._max_iters and not self.stop_training:
            index = self.stage_index_at(self._iter)
            stage = self.stages[index]
            fresh = self._iter == stage.begin_iter
            if fresh or self._entered != index:
                self.enter_stage(index)
            runner.call_hook('before_incubation_stage', stage=stage,
                             resumed=not fresh)
            if fresh:
                self._on_stage_start(stage)
            self.run_stage(stage)
            self._finish_stage(index)
        runner.call_hook('after_train')
        return runner.model

    def _on_stage_start(self, stage: Stage) -> None:
        for tag, what in self._model.validations_before(stage.phase):
            if tag not in self.phase_metrics:
                self._validate(tag, what)
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
        key = [runner.seed, self._model.phase_seed_key(stage.phase)]
        randomness = randomness_cfg(runner)
        if randomness.get('diff_rank_seed', False):
            key.append(get_dist_info()[0])
        set_random_seed(
            derived_seed(*key),
            deterministic=randomness.get('deterministic', False))

    def run_stage(self, stage: Stage) -> None:
        """Train ``stage`` from the current iteration to its end (or until
        ``stop_training``), one epoch (or its remainder) at a time."""
        while self._iter < stage.end_iter and not self.stop_training:
            self.run_epoch(stage)
            if stage.by_epoch and self._validation_due(stage):
                self._validate_stage(stage)

    def run_epoch(self, stage: Stage) -> None:
        """One pass over the data, or what is left of it in ``stage``."""
        runner = self.runner
        self._epoch = schedule.epoch_at(self.stages, self._iter,
                                        self.epoch_length)
        done_in_epoch = (self._iter - stage.begin_iter) % self.epoch_length
        todo = min(self.epoch_length - done_in_epoch,
                   stage.end_iter - self._iter)
        runner.call_hook('before_train_epoch')
        self._set_sampler_epoch(stage)
        runner.model.train()
        if done_in_epoch == 0:
            self._apply_pending_rng()
        batches = iter(self.dataloader)
        for _ in range(done_in_epoch):  # resume inside an epoch
            next(batches)
        self._apply_pending_rng()
        for idx in range(done_in_epoch, done_in_epoch + todo):
            self.run_iter(idx, next(batches))
            if not stage.by_epoch and self._validation_due(stage):
                self._validate_stage(stage)
            if self.stop_training:
                break
        del batches
        runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx: int, data_batch) -> None:
        runner = self.runner
        runner.call_hook(
            'before_train_iter', batch_idx=idx, data_batch=data_batch)
        # several processes: PerHybridDistributedDataParallel owns the step
        outputs = runner.model.train_step(
            data_batch, optim_wrapper=runner.optim_wrapper)
        runner.call_hook(
            'after_train_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1

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
