"""Which weights each phase of a schedule needs, checked on config dicts.

Plain functions: the algorithms' ``check_schedule`` calls them, before
anything is built (``tools/train.py``) and when the loop is built, so both
give the same errors.
"""
from typing import Callable, Iterable, Optional, Sequence


def check_finetune_source(phases: Sequence[dict], num_modules: int,
                          target_checkpoint: Optional[str],
                          finished_by: Callable[[dict], Iterable[int]],
                          trained: str = 'incubated') -> None:
    """``finetune`` needs an assembled target: every module finished by
    earlier phases (``finished_by(phase dict)`` gives the modules a phase
    finishes), or ``model.target_checkpoint``."""
    finished = set()
    for phase in phases:
        if phase.get('phase') == 'finetune' and target_checkpoint is None \
                and finished != set(range(num_modules)):
            detail = (f'only modules {sorted(finished)} are {trained} '
                      'before it' if finished else f'nothing is {trained} '
                      'before it')
            raise ValueError(
                f'The schedule fine-tunes, but {detail}: set '
                'model.target_checkpoint to an assembled model (e.g. '
                '--cfg-options model.target_checkpoint='
                'work_dirs/<run>/assembled.pth) or train every module in '
                'an earlier phase.')
        finished |= set(finished_by(phase))


def check_phase_sources(phases: Sequence[dict], num_modules: int,
                        meta_checkpoint: Optional[str],
                        target_checkpoint: Optional[str],
                        from_checkpoint: bool,
                        meta_init: Optional[str] = None) -> None:
    """Raise when a phase needs weights that nothing provides.

    - ``incubate`` without an earlier ``meta`` phase needs
      ``model.meta_checkpoint``, or the ablation's explicit opt-in
      ``model.meta_init='random'`` (which a ``meta`` phase contradicts);
    - ``finetune`` needs an assembled target: every module incubated by
      earlier phases, or ``model.target_checkpoint``.

    A resumed run or one with ``load_from`` (``from_checkpoint``) brings its
    weights with it.
    """
    if meta_init == 'random' and any(p.get('phase') == 'meta'
                                     for p in phases):
        raise ValueError(
            "model.meta_init='random' incubates inside an untrained meta "
            'model, but the schedule trains one in a "meta" phase: remove '
            'the phase or meta_init.')
    if from_checkpoint:
        return
    seen_meta = meta_init == 'random'
    for phase in phases:
        name = phase.get('phase')
        if name == 'meta':
            seen_meta = True
        elif name == 'incubate':
            if not seen_meta and meta_checkpoint is None:
                raise ValueError(
                    'The schedule incubates without training a meta model '
                    'first: set model.meta_checkpoint to a trained meta '
                    'model (e.g. --cfg-options model.meta_checkpoint='
                    'work_dirs/<run>/meta.pth) or add a "meta" phase before '
                    '"incubate" (or, for the ablation inside an untrained '
                    "meta model, set model.meta_init='random').")
    check_finetune_source(
        phases, num_modules, target_checkpoint,
        lambda p: p.get('modules', range(num_modules))
        if p.get('phase') == 'incubate' else ())


def check_meta_init(meta_init: Optional[str],
                    meta_checkpoint: Optional[str]) -> None:
    """``meta_init`` is None or ``'random'`` (an untrained, frozen meta
    model), and ``'random'`` loads no ``meta_checkpoint``."""
    if meta_init not in (None, 'random'):
        raise ValueError(f"meta_init={meta_init!r}: give 'random' (an "
                         'untrained, frozen meta model) or leave it unset.')
    if meta_init == 'random' and meta_checkpoint is not None:
        raise ValueError("meta_init='random' incubates inside an untrained "
                         'meta model; remove model.meta_checkpoint or '
                         'meta_init.')
