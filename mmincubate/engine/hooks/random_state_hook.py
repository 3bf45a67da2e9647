"""Every rank's random states in every checkpoint, given back on resume."""
from typing import List, Optional

from mmengine.dist import get_world_size
from mmengine.hooks import CheckpointHook, Hook

from mmincubate.mmengine_compat import checkpoint_hook_saves
from mmincubate.registry import HOOKS
from mmincubate.utils.rng import (RngState, apply_rng, capture_rng,
                                  gather_rng_states, restore_rng,
                                  rng_state_for_rank)

#: the checkpoint entry holding the per-rank list of random states
CHECKPOINT_KEY = 'random_states'


def saved_random_states(checkpoint: dict) -> Optional[list]:
    """The per-rank random states a checkpoint holds (written by
    :class:`RandomStateHook`, or by IncubationHook before it existed)."""
    if CHECKPOINT_KEY in checkpoint:
        return checkpoint[CHECKPOINT_KEY]
    return (checkpoint.get('incubation') or {}).get('rng')


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Resume bitwise: the random streams continue where they stopped.

    mmengine's resume restores the weights, the optimizer, the schedulers
    and the seed, but not the random streams: drop path, random crops and
    flips and the shuffling seeds of the dataloader's iterators continue
    from wherever the new process's setup left them, so a resumed run drifts
    from an uninterrupted one. This hook

    - writes every rank's random states (Python, numpy, torch, CUDA) into
      every checkpoint (``checkpoint['random_states']``, one entry per rank,
      gathered with a collective right before a ``CheckpointHook`` saves);
    - on ``--resume`` gives this rank's states back at the start of the next
      training epoch, before its dataloader iterator is built, where the
      interrupted run continued (with another number of processes the ranks
      are reseeded reproducibly instead, with a warning);
    - keeps validation out of the training streams: the states are captured
      before every validation and restored after it, so when and how often a
      run validates (``val_interval``, ``--no-validate``) never changes what
      it trains.

    Exact for epoch checkpoints of ``EpochBasedTrainLoop`` and for every
    checkpoint of ``IncubationLoop`` (which replays the states itself, mid
    epoch too, and says so with ``replays_random_states``). mmengine's
    ``IterBasedTrainLoop`` re-reads the batches it skips after the states
    are given back, so it is exact only when that reading draws no random
    numbers in this process (dataloader workers, no epoch end skipped).

    ``ExactResumeRunner`` registers it when the config does not.

    Example:
        >>> custom_hooks = [dict(type='RandomStateHook')]
    """

    priority = 'VERY_HIGH'  # before CheckpointHook (NORMAL): gather first

    def __init__(self) -> None:
        self._gathered = None  # (iteration, every rank's states)
        self._pending: Optional[RngState] = None
        self._before_val: Optional[dict] = None

    # ------------------------------------------------------------------
    # validation leaves the training streams untouched
    # ------------------------------------------------------------------
    def before_val(self, runner) -> None:
        self._before_val = capture_rng()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            restore_rng(self._before_val)
            self._before_val = None

    # ------------------------------------------------------------------
    # saving
    # ------------------------------------------------------------------
    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        self._gather_if_due(runner, 'iter')

    def after_train_epoch(self, runner) -> None:
        self._gather_if_due(runner, 'epoch')

    def after_val_epoch(self, runner, metrics=None) -> None:
        if metrics:
            self._gather_if_due(runner, 'val')

    def _gather_if_due(self, runner, event: str) -> None:
        """Gather every rank's states if a checkpoint hook saves now. All
        ranks agree on the answer, so the collective is safe."""
        if get_world_size() > 1 and any(
                checkpoint_hook_saves(hook, runner, event)
                for hook in runner.hooks if isinstance(hook, CheckpointHook)):
            self._gathered = (runner.iter, gather_rng_states())

    def _states_to_save(self, runner) -> List[Optional[dict]]:
        world_size = get_world_size()
        if world_size == 1:
            return gather_rng_states()
        if self._gathered is not None and self._gathered[0] == runner.iter:
            return self._gathered[1]
        # saved without a CheckpointHook (a direct runner.save_checkpoint
        # call): only this rank's states are at hand
        runner.logger.warning(
            'Saving a checkpoint whose random states were not gathered from '
            'all ranks (RandomStateHook gathers them for CheckpointHook); '
            'resuming from it will reseed the ranks instead of replaying '
            'their random streams.')
        return [capture_rng()] + [None] * (world_size - 1)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = self._states_to_save(runner)

    # ------------------------------------------------------------------
    # resuming
    # ------------------------------------------------------------------
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # only a resume continues the run; load_from only loads weights
        loop = getattr(runner, '_train_loop', None)
        if not runner._resume or getattr(loop, 'replays_random_states',
                                         False):
            return
        iteration = int((checkpoint.get('meta') or {}).get('iter', 0))
        self._pending = rng_state_for_rank(
            saved_random_states(checkpoint), runner.seed, iteration)
        if self._pending is None:
            runner.logger.warning(
                'The checkpoint holds no random states (it was written '
                'without RandomStateHook): the resumed run continues from '
                'fresh random streams and will not match an uninterrupted '
                'run bit for bit.')

    def before_train_epoch(self, runner) -> None:
        apply_rng(self._pending)
        self._pending = None
