"""Runs' ``summary.json`` files as cost-accuracy curves and result tables."""
import json
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmincubate.engine.hooks.cost_accounting_hook import COST_KEYS
from mmincubate.engine.loops.stage_ends import tagged
from .wall_time import wall_seconds

#: the per-phase tags in table order (hybrids are averaged; local
#: learning's ``assembled`` is the model after its local phase)
PHASE_TAGS = ('meta', 'hybrid', 'assembled', 'final')
#: Student's t, 0.975 quantile, for 1..30 degrees of freedom
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
         2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
         2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
         2.048, 2.045, 2.042)


def load_summary(work_dir: str) -> dict:
    path = osp.join(work_dir, 'summary.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} does not exist: {work_dir} is not a finished (or '
            'started) training run with CostAccountingHook (mmincubate\'s '
            'default_hooks.cost).')
    with open(path) as f:
        return json.load(f)


def _finished(work_dir: str) -> Optional[dict]:
    """The run's summary if it has finished, else None."""
    if not osp.isfile(osp.join(work_dir, 'summary.json')):
        return None
    summary = load_summary(work_dir)
    return summary if summary.get('finished') else None


def benchmark_rows(work_dir: str, plan: dict) -> Tuple[list, list, list]:
    """Every finished seed of a benchmark's ``plan`` (``plan.json``), read
    from ``work_dir``: ``rows`` (one per arm and seed: cost, its share of
    the budget, the metric after every phase, downstream metrics),
    ``runs`` ((arm, seed, summary) for the plot) and the seeds not
    reported: a seed is finished when every arm and every downstream run
    of each has finished."""
    spec, budget = plan['benchmark'], plan.get('budget')
    rows, runs, unfinished = [], [], []
    for seed in spec['seeds']:
        found = {}
        for arm in spec['arms']:
            arm_dir = osp.join(work_dir, f'{arm}_seed{seed}')
            found[arm] = [_finished(arm_dir)] + [
                _finished(osp.join(arm_dir, task['name']))
                for task in spec['downstream']]
        if budget is None or any(s is None for v in found.values()
                                 for s in v):
            unfinished.append(seed)
            continue
        for arm, (summary, *tasks) in found.items():
            arm_dir = osp.join(work_dir, f'{arm}_seed{seed}')
            total = summary['cost']['total']
            row = dict(arm=arm, seed=seed, tflops=total['flops'] / 1e12,
                       seconds=total['seconds'],
                       gpu_seconds=total['gpu_seconds'],
                       wall_seconds=wall_seconds(arm_dir),
                       images=total['images'],
                       stages=summary['cost']['stages'])
            for tag in PHASE_TAGS:
                row[tag] = phase_value(summary, tag, spec['metric'])
            key = 'flops' if budget['match'] == 'flops' else 'seconds'
            row['cost_ratio'] = total[key] / budget['value']
            row.update({task['name']: s.get('final', {}).get(task['metric'])
                        for task, s in zip(spec['downstream'], tasks)})
            rows.append(row)
            runs.append((arm, seed, summary))
    return rows, runs, unfinished


def paired(rows: List[dict], baseline: str,
           column: str = 'final') -> Dict[str, dict]:
    """Each arm against ``baseline`` seed by seed: the per-seed
    differences of ``column`` (arm minus baseline), their mean and sample
    standard deviation over the seeds both have, and the 95% interval of
    the mean difference (Student's t; ``ci95``, None under 2 seeds)."""
    base = {r['seed']: r.get(column) for r in rows if r['arm'] == baseline}
    result = {}
    for arm in dict.fromkeys(r['arm'] for r in rows if r['arm'] != baseline):
        diffs = {r['seed']: r[column] - base[r['seed']] for r in rows
                 if r['arm'] == arm and r.get(column) is not None
                 and base.get(r['seed']) is not None}
        stats = mean_std(list(diffs.values()))
        result[arm] = dict(differences=diffs, **stats,
                           ci95=interval95(stats))
    return result


def t975(dof: int) -> float:
    """Student's t 0.975 quantile (a table to 30 degrees of freedom, then
    two Cornish-Fisher terms around the normal's 1.96)."""
    if dof < 1:
        raise ValueError(f'{dof} degrees of freedom: need at least 1.')
    if dof <= len(_T975):
        return _T975[dof - 1]
    z = 1.959964
    return (z + (z**3 + z) / (4 * dof) +
            (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2))


def interval95(stats: Dict[str, float]) -> Optional[List[float]]:
    """The 95% interval of a mean from ``mean_std``'s figures."""
    if stats['n'] < 2:
        return None
    half = t975(stats['n'] - 1) * stats['std'] / math.sqrt(stats['n'])
    return [stats['mean'] - half, stats['mean'] + half]


def chained(work_dirs: Sequence[str]) -> dict:
    """Several runs that continue one another (e.g. meta, then module jobs,
    then fine-tuning) as one: costs add up in the order given, each run's
    evaluations are shifted by the cost of the runs before it."""
    stages, evaluations, metrics = [], [], {}
    offset = dict(flops=0.0, seconds=0.0, gpu_seconds=0.0, images=0)
    finished = True
    for work_dir in work_dirs:
        summary = load_summary(work_dir)
        cost = summary.get('cost')
        if cost is None:
            raise ValueError(f'{work_dir}/summary.json has no cost; it was '
                             'written without CostAccountingHook.')
        stages += cost['stages']
        for evaluation in summary.get('evaluations', []):
            shifted = dict(evaluation)
            for key in offset:
                shifted[key] = evaluation[key] + offset[key]
            evaluations.append(shifted)
        for key in offset:
            offset[key] += cost['total'][key]
        metrics.update({k: v for k, v in summary.items()
                        if k not in COST_KEYS})
        finished = finished and bool(summary.get('finished'))
    return dict(metrics, cost=dict(stages=stages, total=offset),
                evaluations=evaluations, finished=finished)


def phase_value(summary: dict, tag: str, metric: str) -> Optional[float]:
    """``metric`` after a phase: ``meta``, ``assembled``, ``final``, or
    ``hybrid`` (the mean over the modules' hybrids)."""
    if tag == 'hybrid':
        values = [v[f'{t}/{metric}'] for t, v in summary.items()
                  if t.startswith('hybrid') and isinstance(v, dict)
                  and f'{t}/{metric}' in v]
        return sum(values) / len(values) if values else None
    values = summary.get(tag)
    if not isinstance(values, dict):
        return None
    key = tagged(tag, metric)
    return values.get(key)


def curve(summary: dict, metric: str, tag: str = '') -> List[tuple]:
    """(flops, seconds, value) at every evaluation of ``tag/metric``
    (``tag=''``: the trained model itself, E2E or fine-tuned; incubation's
    target curve also takes ``assembled``)."""
    keys = {f'{tag}/{metric}'} if tag else {metric,
                                            f'assembled/{metric}'}
    points = []
    for evaluation in summary.get('evaluations', []):
        for key in keys:
            if key in evaluation['metrics']:
                points.append((evaluation['flops'], evaluation['seconds'],
                               evaluation['metrics'][key]))
    return points


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    values = [v for v in values if v is not None]
    if not values:
        return dict(mean=None, std=None, n=0)
    mean = sum(values) / len(values)
    var = (sum((v - mean)**2 for v in values) /
           (len(values) - 1)) if len(values) > 1 else 0.0
    return dict(mean=mean, std=math.sqrt(var), n=len(values))


def aggregate(rows: List[dict], columns: Sequence[str]) -> Dict[str, dict]:
    """Mean and sample standard deviation of every column, per arm."""
    arms = sorted({r['arm'] for r in rows}, key=[r['arm']
                                                 for r in rows].index)
    return {
        arm: {c: mean_std([r.get(c) for r in rows if r['arm'] == arm])
              for c in columns}
        for arm in arms
    }


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return '-'
    return f'{value:.{digits}f}'


def _mean_std(stats: dict, digits: int) -> str:
    if stats['mean'] is None:
        return '-'
    return f'{stats["mean"]:.{digits}f} ± {stats["std"]:.{digits}f}'


def paired_markdown(pairs: Dict[str, dict], baseline: str,
                    column: str = 'final') -> str:
    """The paired comparison as a table: per seed, then mean ± std."""
    seeds = sorted({s for p in pairs.values() for s in p['differences']})
    header = ['arm'] + [f'seed {s}' for s in seeds] + ['mean ± std',
                                                         '95% interval']
    lines = [f'Paired with {baseline} ({column} metric, arm minus '
             f'{baseline}, per seed):', '', '| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    for arm, pair in pairs.items():
        cells = [arm] + [_fmt(pair['differences'].get(s), 2) if
                         pair['differences'].get(s) is not None else '-'
                         for s in seeds]
        cells.append(_mean_std(pair, 2) + f' (n={pair["n"]})')
        low_high = pair.get('ci95')
        cells.append(f'{low_high[0]:+.2f} to {low_high[1]:+.2f}'
                     if low_high else '-')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def markdown(rows: List[dict], summary_rows: Dict[str, dict],
             columns: Sequence[str], title: str) -> str:
    """One row per arm and seed (cost, its share of the budget, the
    metric after every phase and downstream), then mean ± std per arm."""
    header = ['arm', 'seed', 'TFLOPs', 'of budget', 'train s',
              'wall s'] + list(columns)
    lines = [f'### {title}', '', '| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    for r in rows:
        cells = [r['arm'], str(r['seed']), _fmt(r['tflops'], 3),
                 _fmt(r.get('cost_ratio'), 3), _fmt(r['seconds'], 0),
                 _fmt(r.get('wall_seconds'), 0)]
        cells += [_fmt(r.get(c)) for c in columns]
        lines.append('| ' + ' | '.join(cells) + ' |')
    for arm, stats in summary_rows.items():
        cells = [f'**{arm}**', f'mean ± std (n={stats["tflops"]["n"]})',
                 _mean_std(stats['tflops'], 3), '',
                 _mean_std(stats['seconds'], 0),
                 _mean_std(stats['wall_seconds'], 0)
                 if 'wall_seconds' in stats else '-']
        cells += [_mean_std(stats[c], 2) for c in columns]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
