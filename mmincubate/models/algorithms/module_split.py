"""The split of a target into modules: depths, indices, per-module names."""
import itertools
import numbers
import re
from typing import List, Optional, Sequence, Tuple, Union

# re-exported: the model code and the checks import it from here
from mmincubate.num_modules import DEFAULT_NUM_MODULES  # noqa: F401

PHASES = ('meta', 'incubate', 'finetune')
#: what :meth:`DeepIncubation.evaluate_as` accepts
EvalTarget = Union[str, Tuple[str, int]]
_MODULE_KEY = re.compile(r'_module\d+$')


def module_key(name: str, index: int) -> str:
    """The log key of a per-module value: ``loss`` -> ``loss_module2``."""
    return f'{name}_module{index}'


def is_module_key(key: str) -> bool:
    """Whether a log key is a per-module value (see :func:`module_key`)."""
    return _MODULE_KEY.search(key) is not None


def check_module_indices(modules: Sequence[int], num_modules: int,
                         where: str) -> Tuple[int, ...]:
    """The module indices as ints, or an error naming ``where`` they came
    from: each must exist (0..K-1) and appear once, and at least one."""
    modules = tuple(modules)
    if not modules:
        raise ValueError(f'{where} lists no modules; give at least one of '
                         f'0..{num_modules - 1}.')
    for m in modules:
        if isinstance(m, bool) or not isinstance(m, numbers.Integral) or \
                not 0 <= m < num_modules:
            raise ValueError(
                f'{where}: module {m!r} does not exist (out of range: the '
                f'target has {num_modules} modules, 0..{num_modules - 1}).')
    modules = tuple(int(m) for m in modules)
    repeated = sorted({m for m in modules if modules.count(m) > 1})
    if repeated:
        raise ValueError(f'{where} lists module {repeated[0]} twice; list '
                         'each module once.')
    return modules


def split_depth(depth: int, num_modules: Optional[int],
                module_depths: Optional[Sequence[int]]) -> List[int]:
    """Per-module depths from K (equal parts) or from explicit depths."""
    if module_depths is not None:
        depths = [int(d) for d in module_depths]
        if num_modules is not None and num_modules != len(depths):
            raise ValueError(
                f'num_modules={num_modules} disagrees with module_depths='
                f'{depths} ({len(depths)} modules); give only one of them.')
        if any(d < 1 for d in depths):
            raise ValueError(f'module_depths={depths}: every module needs at '
                             'least one block.')
        if sum(depths) != depth:
            raise ValueError(
                f'module_depths={depths} sum to {sum(depths)}, but the target '
                f'has {depth} blocks; make them sum to {depth}.')
        return depths
    if num_modules is None:
        raise ValueError('Give num_modules (K, equal parts) or module_depths.')
    if num_modules < 1 or depth % num_modules:
        raise ValueError(
            f'num_modules={num_modules} does not divide the target depth '
            f'{depth} into equal parts; choose a divisor of {depth} or pass '
            f'module_depths=[...] summing to {depth}.')
    return [depth // num_modules] * num_modules


def block_ranges(depths: Sequence[int]) -> List[Tuple[int, int]]:
    """``(begin, end)`` target block indices of each module:
    ``[3, 3]`` -> ``[(0, 3), (3, 6)]``."""
    ends = list(itertools.accumulate(depths))
    return [(end - depth, end) for depth, end in zip(depths, ends)]
