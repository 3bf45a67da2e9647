"""Private PyTorch APIs, used in this module (and its test) only: the
dispatch mode (FLOP counting) and the profiler's raw events (operators'
self times).

Counting a training step's FLOPs means seeing every aten operator that
runs, in the forward and in autograd's backward, with its arguments.
Only a dispatch mode sees them all. PyTorch's own counter
(``torch.utils.flop_counter.FlopCounterMode``) is one, and does more than
the count needs: each operator without a formula it first tries to
decompose, and its module tracker hooks every module's forward and every
input's gradient to attribute the FLOPs to modules. A digits fine-tuning
step (optimizer step left out) took 168 ms under it, 107 ms under
:class:`FormulaCounterMode` with the same formulas, and 75 ms uncounted
(best of 8 on a 2-core Intel Xeon).

``torch.utils._python_dispatch.TorchDispatchMode`` (documented in PyTorch's
``__torch_dispatch__`` notes, but in a private module) is imported here
only. ``tests/test_utils/test_torch_compat.py`` fails when it moves or
when this mode's counts differ from ``FlopCounterMode``'s, and when
:func:`cpu_self_seconds` parts from the profiler's ``key_averages``.

Example:
    >>> from torch.utils.flop_counter import flop_registry
    >>> with FormulaCounterMode(flop_registry) as mode:
    ...     torch.randn(4, 8) @ torch.randn(8, 16)
    >>> dict(mode.counts)
    {<OpOverloadPacket(op='aten.mm')>: 1024}
"""
import functools
import itertools
from collections import Counter, defaultdict
from operator import itemgetter
from typing import Callable, Dict, List, Mapping, Tuple

import torch
from torch.autograd import DeviceType
from torch.autograd.profiler_util import _filter_name
from torch.utils._python_dispatch import TorchDispatchMode


class FormulaCounterMode(TorchDispatchMode):
    """Runs every operator as it is and adds up ``formulas[op](*args,
    **kwargs, out_val=out)`` for the operators (overload packets, e.g.
    ``torch.ops.aten.mm``) that have one, in ``counts``: the call
    convention of ``torch.utils.flop_counter.flop_registry``.

    Args:
        formulas: a formula per overload packet.
    """

    def __init__(self, formulas: Mapping[object, Callable]) -> None:
        super().__init__()
        self.formulas = formulas
        self.counts: Counter = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = self.formulas.get(func._overloadpacket)
        if formula is not None:
            self.counts[func._overloadpacket] += formula(
                *args, **kwargs, out_val=out)
        return out


@functools.lru_cache(maxsize=None)
def _event_name(raw: str) -> str:
    """The name ``key_averages`` groups an event under (demangled, profiler
    steps under one wildcard name)."""
    name = torch._C._demangle(raw) if len(raw) > 1 else raw
    return 'ProfilerStep*' if name.startswith('ProfilerStep#') else name


def _cpu_events(prof) -> List[Tuple[int, int, int, int, str]]:
    """(thread, start, -end, order, name) of the events ``key_averages``
    nests (on the CPU, started and ended on one thread, not filtered),
    sorted as it visits them."""
    results = prof.profiler.kineto_results if prof.profiler else None
    events = []
    for event in results.events() if results else ():
        raw = event.name()
        skip = (_filter_name(raw) or event.device_type() != DeviceType.CPU
                or getattr(event, 'is_hidden_event', lambda: False)()
                or event.is_async()
                or event.start_thread_id() != event.end_thread_id())
        if not skip:
            events.append((event.start_thread_id(), event.start_ns(),
                           -event.end_ns(), len(events), _event_name(raw)))
    events.sort()
    return events


def cpu_self_seconds(prof) -> Dict[str, float]:
    """Self CPU seconds per operator name of a finished
    ``torch.profiler.profile`` (its last cycle): the self CPU times of
    ``prof.key_averages()`` summed by name, without building the profiler's
    Python event objects (a deep ViT step on CPU: 0.06 s against 0.64 s).
    A name none of whose events is a synchronous CPU one (its self time 0
    there) is left out.

    An event's self time is its duration less its children's, a child
    being an event of the same thread inside it (``key_averages``'s rule;
    merging a parent with its only child of the same name, as it does,
    leaves the per-name sums as they are)."""
    totals: Dict[str, int] = defaultdict(int)
    for _, events in itertools.groupby(_cpu_events(prof),
                                       key=itemgetter(0)):
        stack: list = []  # the open events: [end, name, ns, children's ns]
        for _, start, neg_end, _, name in events:
            end = -neg_end
            while stack and (start >= stack[-1][0] or end > stack[-1][0]):
                closed = stack.pop()
                totals[closed[1]] += closed[2] - closed[3]
            if stack:
                stack[-1][3] += end - start
            stack.append([end, name, end - start, 0])
        for closed in stack:
            totals[closed[1]] += closed[2] - closed[3]
    return {name: ns / 1e9 for name, ns in totals.items()}
