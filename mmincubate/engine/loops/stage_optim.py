"""The optimizer wrapper and schedulers of one stage, for its trainable set."""
import copy

from mmincubate.engine.optimizers.per_module_grad_clip import \
    clip_groups_apart
from .schedule import Stage, scheduler_cfgs


def build_stage_optimization(runner, model, stage: Stage,
                             iters_done: int) -> None:
    """Give ``runner`` the optimizer wrapper and parameter schedulers of
    ``stage`` over exactly ``model``'s trainable parameters.

    The wrapper is built from the stage's merged ``optim_wrapper`` config,
    frozen parameters a constructor added are dropped, the model's
    independent groups (several modules incubated together, local
    learning's modules) are clipped one by one, and the accumulation counter
    starts at ``iters_done`` (non-zero on resume).
    """
    optim_wrapper = runner.build_optim_wrapper(
        copy.deepcopy(stage.optim_wrapper))
    keep_only_trainable(optim_wrapper, stage)
    clip_groups_apart(optim_wrapper, model.independent_groups())
    runner.optim_wrapper = optim_wrapper
    runner.scale_lr(optim_wrapper, runner.auto_scale_lr)
    runner.param_schedulers = runner.build_param_scheduler(
        scheduler_cfgs(stage)) if stage.param_scheduler else []
    optim_wrapper.initialize_count_status(runner.model, iters_done,
                                          stage.iters)


def keep_only_trainable(optim_wrapper, stage: Stage) -> None:
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
            f'Stage {stage.name}: the optimizer has no trainable parameters.')
