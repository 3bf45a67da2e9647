"""The benchmark's paired comparison: per-seed differences, their mean,
spread and 95% interval."""
import math

import pytest

from mmincubate.benchmark.results import (interval95, mean_std, paired,
                                          paired_markdown, t975)


def test_t_quantiles():
    assert t975(1) == 12.706 and t975(2) == 4.303 and t975(30) == 2.042
    # beyond the table: close to the exact quantile, towards 1.96
    assert t975(60) == pytest.approx(2.000, abs=0.002)
    assert t975(10**6) == pytest.approx(1.96, abs=1e-3)
    with pytest.raises(ValueError, match='degrees of freedom'):
        t975(0)
    scipy_stats = pytest.importorskip('scipy.stats')
    for dof in (1, 2, 5, 29, 31, 45, 100):
        assert t975(dof) == pytest.approx(scipy_stats.t.ppf(0.975, dof),
                                          abs=2e-3)


def test_paired_differences_and_interval():
    rows = [dict(arm='e2e', seed=s, final=v)
            for s, v in ((0, 50.0), (1, 52.0), (2, 51.0))]
    rows += [dict(arm='incubation', seed=s, final=v)
             for s, v in ((0, 53.0), (1, 53.0), (2, 55.0))]
    pairs = paired(rows, 'e2e')
    pair = pairs['incubation']
    assert pair['differences'] == {0: 3.0, 1: 1.0, 2: 4.0}
    assert pair['mean'] == pytest.approx(8 / 3)
    std = math.sqrt(((1 / 3)**2 + (5 / 3)**2 + (4 / 3)**2) / 2)
    assert pair['std'] == pytest.approx(std)
    half = 4.303 * std / math.sqrt(3)
    assert pair['ci95'] == pytest.approx([8 / 3 - half, 8 / 3 + half])
    table = paired_markdown(pairs, 'e2e')
    assert '95% interval' in table
    assert f'{8 / 3 - half:+.2f} to {8 / 3 + half:+.2f}' in table


def test_no_interval_from_one_seed():
    assert interval95(mean_std([2.0])) is None
    rows = [dict(arm='e2e', seed=0, final=1.0),
            dict(arm='dgl', seed=0, final=2.0)]
    assert paired(rows, 'e2e')['dgl']['ci95'] is None
    assert '| dgl | 1.00 | 1.00 ± 0.00 (n=1) | - |' in paired_markdown(
        paired(rows, 'e2e'), 'e2e')
