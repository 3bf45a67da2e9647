"""The step-cost benchmark's figures read against goals that the user
passes (``benchmark_incubation.py --goals FILE``, a JSON file): one MET /
MISSED line per goal given, nothing for a goal not given.

Goal keys (``tools/analysis_tools/step_cost_goals.json`` holds the
project's):

- ``share_tolerance``: every mode's time within this fraction of its FLOP
  share (0.10);
- ``all_over_upstream``: all K modules in one job at least this much faster
  than upstream-style single-module jobs (1.15);
- ``module_memory``: one module's step memory at most this share of E2E's
  (0.6);
- ``overhead``: the framework's step at most this much slower than the
  plain loop (0.03);
- ``mfu``: ``{mode: share}``, model FLOP utilisation at least this (needs
  the device's peak).

Example:
    >>> print(goal_lines(derived, with_data=True,
    ...                  goals=dict(module_memory=0.6, overhead=0.03)))
"""
import json
from typing import Dict, Optional

KNOWN = ('share_tolerance', 'all_over_upstream', 'module_memory',
         'overhead', 'mfu')


def load_goals(path: str) -> Dict:
    """The goals in ``path``; an unknown key is an error naming the known
    ones."""
    with open(path) as f:
        goals = json.load(f)
    unknown = sorted(set(goals) - set(KNOWN))
    if unknown:
        raise ValueError(f'{path}: unknown goals {unknown}; the goals are '
                         f'{list(KNOWN)}.')
    return goals


def goal_lines(derived: dict, with_data: bool, goals: Dict) -> str:
    """One line per goal in ``goals``: MET, MISSED or not measured."""
    rows, run = derived['rows'], derived['run']
    lines = []

    def verdict(name: str, value: Optional[float], ok: bool,
                note: str = '') -> None:
        if value is None:
            lines.append(f'goal {name}: not measured (mode missing)')
        else:
            lines.append(f'goal {name}: {"MET" if ok else "MISSED"} ({note})')

    if 'share_tolerance' in goals:
        tolerance = goals['share_tolerance']
        ratios = {m: r['time_over_flop_share'] for m, r in rows.items()
                  if 'time_over_flop_share' in r and m != 'e2e'}
        worst = max(ratios, key=lambda m: abs(ratios[m] - 1)) \
            if ratios else None
        verdict(f'every mode within {tolerance:.0%} of its FLOP share',
                worst and ratios[worst],
                bool(worst) and abs(ratios[worst] - 1) <= tolerance,
                worst and f'worst {worst} {ratios[worst]:.3f}')
    if 'all_over_upstream' in goals:
        goal, up = goals['all_over_upstream'], run.get('upstream')
        verdict(f'all K >= {goal}x upstream-style jobs',
                up and up['speedup_of_all'],
                bool(up) and up['speedup_of_all'] >= goal,
                up and f'{up["speedup_of_all"]:.3f}x, ' + (
                    'data pipeline included' if with_data else
                    'synthetic tensors: the data pipeline is not counted'))
    if 'module_memory' in goals:
        goal = goals['module_memory']
        shares = {m: r['memory_share'] for m, r in rows.items()
                  if m.startswith('module') and 'memory_share' in r}
        most = max(shares, key=shares.get) if shares else None
        verdict(f'one module\'s step memory <= {goal}x E2E',
                most and shares[most],
                bool(most) and shares[most] <= goal,
                most and f'largest {most} {shares[most]:.3f}')
    if 'overhead' in goals:
        goal, overhead = goals['overhead'], run.get('overhead')
        verdict(f'framework overhead <= {goal:.0%}', overhead,
                overhead is not None and overhead <= goal,
                overhead is not None and f'{overhead:+.1%}')
    for mode, goal in (goals.get('mfu') or {}).items():
        mfu = rows.get(mode, {}).get('mfu')
        verdict(f'{mode} MFU >= {goal:.0%}', mfu,
                mfu is not None and mfu >= goal,
                mfu is not None and f'{mfu:.1%}')
    return '\n'.join(lines)
