"""What :class:`IncubationLoop` puts into a checkpoint and how it continues
from one: the schedule's signature, the phase metrics, the modules already
incubated, and the stage (model, wrapper, optimizer) the checkpoint was
written in; every rank's random states come back before the next step."""
import copy
from typing import Dict, List, Optional

from mmincubate.engine.hooks.random_state_hook import saved_random_states
from mmincubate.utils.rng import RngState, apply_rng, rng_state_for_rank
from . import schedule


class StageResume:
    """The checkpoint part of :class:`IncubationLoop` (which sets
    ``runner``, ``stages``, ``epoch_length``, ``phase_metrics``,
    ``incubated_modules``, ``_iter``, ``_epoch`` and provides
    ``stage_index_at`` and ``enter_stage``)."""

    phase_metrics: Dict[str, dict]
    incubated_modules: List[int]
    _pending_rng: Optional[RngState] = None
    _finish_pending: bool = False

    def restore(self, checkpoint: dict) -> None:
        """Rebuild the state of the stage a checkpoint was written in,
        before the runner loads its optimizer and scheduler states."""
        iteration = int(checkpoint.get('meta', {}).get('iter', 0))
        state = checkpoint.get('incubation')
        if state is not None:
            saved = state.get('stages')
            if saved is not None and saved != schedule.signature(
                    self.stages):
                raise ValueError(
                    'The checkpoint was written by a different incubation '
                    f'schedule: {saved} vs this config\'s '
                    f'{schedule.signature(self.stages)}. Resume with the '
                    'config the run started with.')
            self.phase_metrics = dict(state.get('phase_metrics', {}))
            self.incubated_modules = list(state.get('incubated_modules', []))
        self._pending_rng = rng_state_for_rank(
            saved_random_states(checkpoint), self.runner.seed, iteration)
        self._iter = iteration
        # the optimizer state belongs to the stage that trained iteration-1
        index = self.stage_index_at(max(iteration - 1, 0))
        self._epoch = schedule.epoch_at(self.stages, iteration,
                                        self.epoch_length)
        self.enter_stage(index)
        self._finish_pending = (iteration == self.stages[index].end_iter
                                and iteration > 0)

    def state_dict(self) -> dict:
        """The loop's part of a checkpoint (``RandomStateHook`` saves every
        rank's random states beside it)."""
        return dict(
            stages=schedule.signature(self.stages),
            plan=schedule.plan(self.stages),
            phase_metrics=copy.deepcopy(self.phase_metrics),
            incubated_modules=list(self.incubated_modules))

    def _apply_pending_rng(self) -> None:
        apply_rng(self._pending_rng)
        self._pending_rng = None
