"""The training cost of every phase, and accuracy against cumulative cost."""
import copy
import os.path as osp
import time
from typing import Dict, List, Optional

from mmengine.dist import get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop

from mmincubate.registry import HOOKS
from mmincubate.utils.checkpoint import dump_json_atomic
from mmincubate.utils.flops import StepFlopCounter, batch_size_of

#: what summary.json holds besides the per-tag metrics
COST_KEYS = ('cost', 'evaluations', 'finished')


@HOOKS.register_module()
class CostAccountingHook(Hook):
    """Records what every training stage costs and writes ``summary.json``.

    Per stage (``meta``, ``incubate[0, 1, 2, 3]``, ``finetune`` under
    :class:`IncubationLoop`; ``train`` under any other loop):

    - ``seconds``: training wall time of rank 0: data loading, the steps and
      per-iteration hooks; not validation, checkpoint writing or exports;
    - ``gpu_seconds``: ``seconds`` x world size (process-seconds on CPU);
    - ``images``: training samples, all ranks;
    - ``flops``: measured, not modelled. The first iteration of every stage
      runs under :class:`~mmincubate.utils.flops.StepFlopCounter`
      (``torch.utils.flop_counter``'s formulas and the CPU attention
      formulas on every operator that runs), which sees exactly the
      forward and backward that run: the frozen prefix forward only, a
      module's full backward, a frozen suffix's backward to its input
      only. Its FLOPs per image times the stage's images is the stage's
      cost. Not counted: element-wise work, the optimizer step, data
      loading, validation.

    At every validation during training the cumulative cost is stored beside
    the metrics (``evaluations``) and logged as scalars (``cost/tflops``,
    ``cost/seconds``, ``cost/gpu_seconds``: TensorBoard shows them), so an
    accuracy-vs-cost curve comes from one run. ``summary.json`` (rewritten
    at every validation and at the end) holds the latest metrics per
    validation tag (from IncubationLoop's ``after_incubation_val`` events,
    the loop owning and checkpointing them; under another loop the last
    validation, as ``final``), ``cost`` (stages and total), ``evaluations``
    and ``finished``. The cost state goes into every checkpoint, so
    ``--resume``
    continues the sums; time lost to a crash after the last checkpoint is
    not counted again.

    Args:
        count_flops: measure FLOPs (the first iteration of every stage).
        validate_last: if the run ends without a validation of its final
            weights (``val_interval`` does not divide the length, or a
            resume at the very end), run one, so ``final`` and the last
            point of the curve are the trained model's.

    Example:
        >>> default_hooks = dict(cost=dict(type='CostAccountingHook'))
    """

    priority = 'LOWEST'

    def __init__(self, count_flops: bool = True,
                 validate_last: bool = True) -> None:
        self.count_flops = count_flops
        self.validate_last = validate_last
        self.stages: List[dict] = []
        self.evaluations: List[dict] = []
        self.finished = False
        #: metrics per validation tag, as IncubationLoop (their owner, which
        #: checkpoints them) last sent them; not saved here
        self.phase_metrics: Dict[str, dict] = {}
        # (name, phase, modules) of the stage being trained
        self._stage = ('train', 'train', [])
        self._counter = StepFlopCounter()
        self._current: Optional[dict] = None
        self._pending_size: Optional[int] = None
        self._mark = time.perf_counter()

    # ------------------------------------------------------------------
    # the stage being trained
    # ------------------------------------------------------------------
    def before_incubation_stage(self, runner, stage, resumed: bool) -> None:
        """IncubationLoop is entering (or resuming) ``stage``."""
        self._stage = (stage.name, stage.phase, list(stage.modules))

    def after_incubation_val(self, runner, tag: str, metrics: dict,
                             phase_metrics: dict) -> None:
        """IncubationLoop validated the model behind ``tag``;
        ``phase_metrics``: every tag's latest metrics so far."""
        self.phase_metrics = copy.deepcopy(dict(phase_metrics))
        self._write_summary(runner)

    @property
    def _under_incubation_loop(self) -> bool:
        """Whether IncubationLoop announced a stage (its events tag the
        metrics and write summary.json after each validation)."""
        return self._stage[0] != 'train'

    def _stage_record(self) -> dict:
        name, phase, modules = self._stage
        for record in self.stages:
            if record['name'] == name:
                return record
        record = dict(name=name, phase=phase, modules=modules, iters=0,
                      images=0, flops=0.0, flops_per_image=None,
                      seconds=0.0)
        self.stages.append(record)
        return record

    def _restart_clock(self) -> None:
        self._mark = time.perf_counter()

    def before_train(self, runner) -> None:
        self.finished = False
        self._restart_clock()

    def before_train_epoch(self, runner) -> None:
        self._restart_clock()

    def after_val(self, runner) -> None:
        self._restart_clock()  # validation is not training time

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self._current = self._stage_record()
        self._pending_size = batch_size_of(data_batch)
        if self.count_flops and self._current['flops_per_image'] is None:
            self._counter.start()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        self._account(runner)
        self._restart_clock()  # also leaves out a checkpoint written now

    def _account(self, runner) -> None:
        """Add the iteration that just ran (once). Called after it, or
        earlier by a checkpoint written in its ``after_train_iter`` (which
        must hold the iteration and must not count its own writing)."""
        record, size = self._current, self._pending_size
        if record is None or size is None:
            return
        self._pending_size = None
        if self._counter.running:
            record['flops_per_image'] = self._counter.stop() / size
            runner.logger.info(
                f'Stage {record["name"]}: '
                f'{record["flops_per_image"] / 1e9:.4g} GFLOPs per training '
                'image (measured on this iteration)')
        record['seconds'] += time.perf_counter() - self._mark
        images = size * get_world_size()
        record['iters'] += 1
        record['images'] += images
        if record['flops_per_image'] is not None:
            record['flops'] += record['flops_per_image'] * images

    # ------------------------------------------------------------------
    # results
    # ------------------------------------------------------------------
    def totals(self) -> Dict[str, float]:
        """The cost of everything trained so far."""
        seconds = sum(r['seconds'] for r in self.stages)
        return dict(
            flops=float(sum(r['flops'] for r in self.stages)),
            seconds=seconds,
            gpu_seconds=seconds * get_world_size(),
            images=int(sum(r['images'] for r in self.stages)))

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not metrics or not isinstance(runner._train_loop, BaseLoop):
            return  # a validation outside training has no training cost
        totals = self.totals()
        stage = self._current or (self.stages[-1] if self.stages else None)
        self.evaluations.append(dict(
            iter=runner.iter, epoch=runner.epoch,
            stage=stage['name'] if stage else None,
            metrics={k: _plain(v) for k, v in metrics.items()}, **totals))
        runner.visualizer.add_scalars(
            {
                'cost/tflops': totals['flops'] / 1e12,
                'cost/seconds': totals['seconds'],
                'cost/gpu_seconds': totals['gpu_seconds']
            },
            step=runner.iter)
        if not self._under_incubation_loop:  # else after_incubation_val
            self._write_summary(runner)

    def after_train(self, runner) -> None:
        if (self.validate_last and runner._val_loop is not None
                and (not self.evaluations
                     or self.evaluations[-1]['iter'] != runner.iter)):
            runner.logger.info('Validating the final weights (no '
                               'validation at the last iteration).')
            runner.val_loop.run()
        self.finished = True
        lines = ['Training cost:']
        for r in self.stages:
            lines.append(
                f'  {r["name"]:<22} {r["flops"] / 1e12:10.4f} TFLOPs '
                f'{r["images"]:>10,} images {r["seconds"]:9.1f} s')
        total = self.totals()
        lines.append(f'  {"total":<22} {total["flops"] / 1e12:10.4f} TFLOPs '
                     f'{total["images"]:>10,} images '
                     f'{total["seconds"]:9.1f} s')
        runner.logger.info('\n'.join(lines))
        self._write_summary(runner)

    def summary(self, runner) -> dict:
        if self._under_incubation_loop:
            summary = copy.deepcopy(self.phase_metrics)
        elif self.evaluations:
            summary = dict(final=dict(self.evaluations[-1]['metrics']))
        else:
            summary = {}
        clash = set(summary) & set(COST_KEYS)
        if clash:
            raise ValueError(f'Validation tags {sorted(clash)} clash with '
                             'the keys of summary.json; rename them.')
        summary['cost'] = dict(
            stages=copy.deepcopy(self.stages), total=self.totals(),
            world_size=get_world_size())
        summary['evaluations'] = copy.deepcopy(self.evaluations)
        summary['finished'] = self.finished
        return summary

    def _write_summary(self, runner) -> None:
        if not is_main_process():
            return
        dump_json_atomic(self.summary(runner),
                         osp.join(runner.work_dir, 'summary.json'))

    # ------------------------------------------------------------------
    # resume
    # ------------------------------------------------------------------
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        self._account(runner)
        checkpoint['cost_accounting'] = dict(
            stages=copy.deepcopy(self.stages),
            evaluations=copy.deepcopy(self.evaluations))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('cost_accounting')
        if runner._resume and state is not None:
            self.stages = copy.deepcopy(list(state['stages']))
            self.evaluations = copy.deepcopy(list(state['evaluations']))


def _plain(value):
    """A metric as JSON can hold it."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value if isinstance(value, (str, list, dict)) else str(value)
