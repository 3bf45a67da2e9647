"""Accuracy against cumulative training cost, runs side by side."""
from typing import List, Sequence

from .results import curve

_COLOURS = ['tab:blue', 'tab:orange', 'tab:green', 'tab:red', 'tab:purple',
            'tab:brown', 'tab:pink', 'tab:gray']
_FLOP_UNITS = [('EFLOPs', 1e18), ('PFLOPs', 1e15), ('TFLOPs', 1e12),
               ('GFLOPs', 1e9)]


def _unit(x: str, largest: float) -> tuple:
    """Axis label and scale: seconds, or the FLOP unit that shows the
    largest value as at least 1."""
    if x == 'seconds':
        return 'training seconds', 1.0
    for name, scale in _FLOP_UNITS:
        if largest >= scale:
            return f'training {name}', scale
    return 'training FLOPs', 1.0


def plot_cost_accuracy(runs: Sequence[dict], labels: Sequence[str],
                       out: str, metric: str = 'accuracy/top1',
                       x: str = 'flops', title: str = '') -> str:
    """Draw every run's target-model ``metric`` against its cumulative
    cost (``x``: ``'flops'`` or ``'seconds'``) into the PNG ``out``.

    An incubation run is one line over meta + incubation + fine-tuning:
    its meta-model validations are drawn dotted (another model), the
    assembled model and fine-tuning solid; E2E runs are one solid line.
    Runs sharing a label share a colour (seeds).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    if x not in ('flops', 'seconds'):
        raise ValueError(f'x={x!r}; choose "flops" or "seconds".')
    column = 0 if x == 'flops' else 1
    axis_label, scale = _unit(x, max(
        [p[column] for run in runs for p in curve(run, metric)] or [0]))
    colours = {}
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    drawn: List[str] = []
    for summary, label in zip(runs, labels):
        colour = colours.setdefault(label,
                                    _COLOURS[len(colours) % len(_COLOURS)])
        target = curve(summary, metric)
        meta = curve(summary, metric, tag='meta')
        first = label not in drawn
        if meta:
            ax.plot([p[column] / scale for p in meta], [p[2] for p in meta],
                    ':', marker='.', color=colour, alpha=0.8,
                    label=f'{label}: meta model' if first else None)
        if target:
            ax.plot([p[column] / scale for p in target],
                    [p[2] for p in target], '-', marker='o', markersize=3,
                    color=colour, label=label if first else None)
        drawn.append(label)
    ax.set_xlabel(axis_label)
    ax.set_ylabel(f'validation {metric}')
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    ax.legend(loc='lower right', fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
