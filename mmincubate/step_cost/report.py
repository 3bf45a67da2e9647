"""The step-cost table and the targets, from per-mode measurements
(:func:`mmincubate.step_cost.measure.measure_mode` results).

Time shares (a mode's step time over E2E's) come from steps of the mode
and of E2E taken in turn in one process where measured, so that the load
of a shared machine cancels; sums and speedups are formed from them.
"""
from typing import Dict, List, Optional, Sequence

MIB = 2**20


def _single(results: Dict[str, dict], prefix: str,
            num_modules: int) -> Optional[List[dict]]:
    rows = [results.get(f'{prefix}{i}') for i in range(num_modules)]
    return rows if all(rows) else None


def _time_share(result: dict, e2e: dict) -> float:
    """A mode's time as a share of E2E's: measured against E2E in its own
    process where available (both under the same load), else from the two
    processes' medians."""
    paired = result.get('paired_share')
    return paired if paired is not None else \
        result['sec_per_step'] / e2e['sec_per_step']


def derive(results: Dict[str, dict], batch: int, num_modules: int,
           peak_tflops: Optional[float] = None) -> dict:
    """Per-mode shares and ratios against E2E, and the run-level figures
    (sequential and upstream sums, the all-K speedups, the overhead)."""
    e2e = results.get('e2e')
    rows = {}
    for mode, r in results.items():
        row = dict(r, img_per_s=batch / r['sec_per_step'],
                   step_bytes=r['peak_bytes'] - r['resident_bytes'],
                   tflops_per_s=r['flops'] / r['sec_per_step'] / 1e12,
                   optimizer_share=r['optimizer_sec'] / r['sec_per_step'])
        if peak_tflops:
            row['mfu'] = row['tflops_per_s'] / peak_tflops
        if e2e:
            row['time_share'] = _time_share(r, e2e)
            row['flop_share'] = r['flops'] / e2e['flops']
            row['time_over_flop_share'] = row['time_share'] / \
                row['flop_share']
            row['memory_share'] = row['step_bytes'] / (
                e2e['peak_bytes'] - e2e['resident_bytes'])
        rows[mode] = row
    run = {}
    for prefix in ('module', 'upstream'):
        singles = _single(rows, prefix, num_modules)
        if singles and 'all' in rows and e2e:
            shares = sum(r['time_share'] for r in singles)
            flops = sum(r['flops'] for r in singles)
            run[prefix] = dict(
                sec_sum=sum(r['sec_per_step'] for r in singles),
                share_sum=shares, flops_sum=flops,
                speedup_of_all=shares / rows['all']['time_share'],
                flop_ratio=flops / rows['all']['flops'])
    if e2e and 'plain' in rows:
        run['overhead'] = 1 / rows['plain']['time_share'] - 1
    if e2e and 'all' in rows and 'all-summed' in rows:
        per_hybrid, summed = rows['all'], rows['all-summed']
        run['summed'] = dict(
            speedup=summed['time_share'] / per_hybrid['time_share'],
            memory=per_hybrid['step_bytes'] / summed['step_bytes'])
    return dict(rows=rows, run=run)


def op_table(derived: dict, order: Sequence[str]) -> Optional[str]:
    """Milliseconds per operator category in each mode's profiled steps,
    and the non-matrix time as a share of E2E's beside the FLOP share
    (elementwise work grows with the blocks run, like the FLOPs: a mode
    whose ``other`` share is well above its FLOP share runs it slower)."""
    rows = derived['rows']
    profiled = [m for m in order if rows[m].get('op_seconds')]
    if not profiled:
        return None
    e2e_other = rows.get('e2e', {}).get('op_seconds', {}) or {}
    e2e_other = e2e_other.get('other')
    lines = [f'{"operators":10s} {"matmul":>8s} {"attention":>9s} '
             f'{"other":>8s} {"other%":>7s} {"other/E2E":>9s} '
             f'{"FLOP/E2E":>8s}  (ms per step, median of 3 profiled)']
    for mode in profiled:
        ops, row = rows[mode]['op_seconds'], rows[mode]
        total = sum(ops.values())
        lines.append(
            f'{mode:10s} {ops["matmul"] * 1e3:8.0f} '
            f'{ops["attention"] * 1e3:9.0f} {ops["other"] * 1e3:8.0f} '
            f'{ops["other"] / total:7.1%} '
            f'{_fmt(e2e_other and ops["other"] / e2e_other, "9.3f")} '
            f'{_fmt(row.get("flop_share"), "8.3f")}')
    return '\n'.join(lines)


def _fmt(value: Optional[float], spec: str) -> str:
    return format(value, spec) if value is not None else '-'


def table(derived: dict, order: Sequence[str]) -> str:
    """One line per mode; ``faults``: the host's minor page faults per
    step (memory the allocator took back from the OS and touched again)."""
    header = (f'{"mode":10s} {"ms/step":>9s} {"img/s":>8s} {"GFLOP":>9s} '
              f'{"time/E2E":>8s} {"FLOP/E2E":>8s} {"ratio":>6s} '
              f'{"peak MiB":>9s} {"step MiB":>9s} {"mem/E2E":>7s} '
              f'{"optim":>6s} {"TFLOP/s":>8s} {"faults":>7s}')
    lines = [header]
    rows = derived['rows']
    for mode in order:
        if mode not in rows:
            continue
        r = rows[mode]
        lines.append(
            f'{mode:10s} {r["sec_per_step"] * 1e3:9.1f} '
            f'{r["img_per_s"]:8.1f} {r["flops"] / 1e9:9.1f} '
            f'{_fmt(r.get("time_share"), "8.3f")} '
            f'{_fmt(r.get("flop_share"), "8.3f")} '
            f'{_fmt(r.get("time_over_flop_share"), "6.3f")} '
            f'{r["peak_bytes"] / MIB:9.0f} {r["step_bytes"] / MIB:9.0f} '
            f'{_fmt(r.get("memory_share"), "7.3f")} '
            f'{r["optimizer_share"]:6.1%} {r["tflops_per_s"]:8.3f} '
            f'{_fmt(r.get("page_faults_per_step"), "7.0f")}' +
            (f'  MFU {r["mfu"]:.1%}' if 'mfu' in r else ''))
    attention = sorted({r['attention'] for r in rows.values()})
    lines.append('attention: ' + '; '.join(attention))
    return '\n'.join(lines)


def summary(derived: dict, with_data: bool, num_modules: int) -> str:
    """The run-level figures (measurements only: goals are
    :func:`mmincubate.step_cost.goals.goal_lines`'s)."""
    rows, run = derived['rows'], derived['run']
    k = num_modules
    lines = []
    if 'module' in run:
        m = run['module']
        lines.append(
            f'sequential: {k} single-module steps {m["share_sum"]:.3f}x '
            f'E2E\'s time ({m["sec_sum"] * 1e3:.1f} ms); all {k} in one step '
            f'{m["speedup_of_all"]:.3f}x faster '
            f'(FLOPs {m["flop_ratio"]:.3f}x fewer)')
    if 'upstream' in run:
        u = run['upstream']
        lines.append(
            f'upstream-style: {k} single-module steps {u["share_sum"]:.3f}x '
            f'E2E\'s time ({u["sec_sum"] * 1e3:.1f} ms); all {k} in one step '
            f'{u["speedup_of_all"]:.3f}x faster (FLOPs '
            f'{u["flop_ratio"]:.3f}x fewer)')
    if 'summed' in run:
        sm = run['summed']
        lines.append(
            f'one backward per hybrid (all) against one of the summed losses '
            f'(all-summed): {sm["speedup"]:.3f}x faster, step memory '
            f'{sm["memory"]:.3f}x')
    if 'overhead' in run:
        lines.append(f'framework overhead (E2E step over the plain loop): '
                     f'{run["overhead"]:+.1%}')

    ratios = {m: r['time_over_flop_share'] for m, r in rows.items()
              if 'time_over_flop_share' in r and m != 'e2e'}
    if ratios:
        worst = max(ratios, key=lambda m: abs(ratios[m] - 1))
        lines.append(f'time against FLOP share: worst {worst} '
                     f'{ratios[worst]:.3f}')
    shares = {m: r['memory_share'] for m, r in rows.items()
              if m.startswith('module') and 'memory_share' in r}
    if shares:
        most = max(shares, key=shares.get)
        lines.append(f'step memory against E2E\'s: largest {most} '
                     f'{shares[most]:.3f}')
    if 'upstream' in run:
        lines.append('all K in one job against upstream-style jobs: ' + (
            'data pipeline included' if with_data else
            'synthetic tensors, the data pipeline not counted'))
    return '\n'.join(lines)
