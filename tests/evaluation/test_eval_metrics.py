"""The evaluation metrics against hand-computed cases: ranks, ties at their expected rank, bootstrap, paired."""
from __future__ import annotations

import math

import numpy as np
import pytest

from chatrec.evaluation.metrics import bootstrap_ci, mae, ndcg_at, paired, per_user, rating_summary, rmse


def test_single_ranks_by_hand() -> None:
    # target in column 0; rank 1, 3 and 11 among 20
    s = np.array([[9.0] + [1.0] * 19,
                  [5.0, 6.0, 7.0] + [0.0] * 17,
                  [0.0] + [1.0] * 10 + [-1.0] * 9])
    m = per_user(s, np.zeros(3, dtype=int))
    assert m["ndcg@1"].tolist() == [1.0, 0.0, 0.0]
    assert m["hr@5"].tolist() == [1.0, 1.0, 0.0]
    assert m["hr@10"].tolist() == [1.0, 1.0, 0.0]
    assert m["ndcg@5"][1] == pytest.approx(1 / math.log2(4))  # rank 3: 1/log2(3+1) = 0.5
    assert m["ndcg@10"][1] == pytest.approx(0.5)
    assert m["ndcg@10"][2] == 0.0  # rank 11 is outside the top 10


def test_target_position_is_respected() -> None:
    s = np.array([[0.1, 0.9, 0.5, 0.3]])
    m = per_user(s, np.array([2]), ks=(1, 2))  # 0.5 is second
    assert m["hr@1"][0] == 0.0 and m["hr@2"][0] == 1.0
    assert m["ndcg@2"][0] == pytest.approx(1 / math.log2(3))


def test_ties_count_at_expected_rank() -> None:
    # target tied with 2 others behind 1 higher: rank uniform on {2, 3, 4}
    s = np.array([[1.0, 2.0, 1.0, 1.0, 0.0]])
    m = per_user(s, np.array([0]), ks=(1, 3, 10))
    assert m["hr@1"][0] == 0.0
    assert m["hr@3"][0] == pytest.approx(2 / 3)
    expect = (1 / math.log2(3) + 1 / math.log2(4) + 1 / math.log2(5)) / 3
    assert m["ndcg@10"][0] == pytest.approx(expect)
    assert m["ndcg@3"][0] == pytest.approx((1 / math.log2(3) + 1 / math.log2(4)) / 3)


def test_constant_scorer_gets_exactly_the_random_figure() -> None:
    s = np.zeros((7, 20))
    m = per_user(s, np.arange(7) % 20)
    for k in (1, 5, 10):
        assert np.allclose(m[f"hr@{k}"], k / 20)
        assert np.allclose(m[f"ndcg@{k}"], sum(1 / math.log2(r + 1) for r in range(1, k + 1)) / 20)
    assert m["ndcg@10"][0] == pytest.approx(0.2272, abs=1e-4)  # (1 + 0.631 + 0.5 + ... + 0.289) / 20
    assert ndcg_at(1, 10) == 1.0 and ndcg_at(11, 10) == 0.0


def test_nan_scores_are_rejected() -> None:
    with pytest.raises(ValueError):
        per_user(np.array([[np.nan, 1.0]]), np.array([0]))


def test_bootstrap_interval() -> None:
    v = np.r_[np.ones(50), np.zeros(50)]
    lo, hi = bootstrap_ci(v, n_boot=2000, seed=1)
    assert lo < 0.5 < hi
    assert hi - lo == pytest.approx(2 * 1.96 * 0.05, abs=0.03)  # normal approximation of a proportion's interval
    assert bootstrap_ci([0.3, 0.3, 0.3]) == (pytest.approx(0.3), pytest.approx(0.3))
    assert bootstrap_ci(v, seed=3) == bootstrap_ci(v, seed=3)  # seeded, reproducible


def test_paired_difference_and_standard_error() -> None:
    a = np.array([1.0, 0.5, 0.0, 1.0])
    b = np.array([0.5, 0.5, 0.5, 0.0])
    p = paired(a, b)
    d = a - b  # 0.5, 0, -0.5, 1
    assert p["mean"] == pytest.approx(0.25)
    assert p["se"] == pytest.approx(np.std(d, ddof=1) / 2)
    assert p["n"] == 4


def test_rating_errors() -> None:
    assert rmse([3, 4], [4, 4]) == pytest.approx(math.sqrt(0.5))
    assert mae([3, 5], [4, 4]) == pytest.approx(1.0)
    s = rating_summary(np.array([3.0, 4.0, 5.0]), np.array([4.0, 4.0, 4.0]), np.array([1, 1, 2]), n_boot=200)
    assert s["rmse"] == pytest.approx(math.sqrt(2 / 3)) and s["mae"] == pytest.approx(2 / 3)
    assert s["rmse_ci95"][0] <= s["rmse"] <= s["rmse_ci95"][1]
