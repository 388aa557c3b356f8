"""Ranking and rating metrics with ties at their expected rank, bootstrap intervals and paired differences.

Ties: when the target shares its score with e other candidates and g candidates score strictly higher, its rank is
uniform on g+1 .. g+e+1 and every metric is the mean over those ranks. A constant scorer therefore gets exactly the
random figure (for 20 candidates HR@k = k/20), whatever order the candidates came in.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

KS = (1, 5, 10)


def rank_range(scores: np.ndarray, target_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(best, worst) 1-based rank of each row's target: best = 1 + #higher, worst = best + #ties."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError("scores must be (users, candidates)")
    t = s[np.arange(len(s)), np.asarray(target_pos)][:, None]
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    higher = (s > t).sum(1)
    ties = (s == t).sum(1) - 1
    return higher + 1, higher + 1 + ties


def per_user(scores: np.ndarray, target_pos: np.ndarray, ks: Iterable[int] = KS) -> dict[str, np.ndarray]:
    """Per-user NDCG@k and HR@k (one relevant item, so HR@k = Recall@k) at the expected rank under ties."""
    lo, hi = rank_range(scores, target_pos)
    n = np.asarray(scores).shape[1]
    r = np.arange(1, n + 1)[None, :]
    mask = (r >= lo[:, None]) & (r <= hi[:, None])
    cnt = mask.sum(1)
    out: dict[str, np.ndarray] = {}
    for k in ks:
        gain = np.where(r <= k, 1.0 / np.log2(r + 1.0), 0.0)
        out[f"ndcg@{k}"] = (mask * gain).sum(1) / cnt
        out[f"hr@{k}"] = (mask * (r <= k)).sum(1) / cnt
    return out


def ndcg_at(rank: int, k: int) -> float:
    """NDCG@k of a single relevant item at 1-based `rank` (ideal DCG is 1)."""
    return 1.0 / math.log2(rank + 1) if rank <= k else 0.0


def bootstrap_ci(values: Sequence[float] | np.ndarray, n_boot: int = 1000, seed: int = 0,
                 alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (resampling users with replacement)."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return (float("nan"), float("nan"))
    if len(v) == 1:
        return (float(v[0]), float(v[0]))
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    for b in range(0, n_boot, 100):  # chunks keep memory small for 6,000 users
        m = min(100, n_boot - b)
        idx = rng.integers(0, len(v), size=(m, len(v)))
        means[b:b + m] = v[idx].mean(1)
    return float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2))


def paired(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, n_boot: int = 1000,
           seed: int = 0) -> dict[str, float]:
    """Mean of a - b over the same users, its standard error and bootstrap 95% interval."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = len(d)
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    lo, hi = bootstrap_ci(d, n_boot, seed)
    return {"mean": float(d.mean()) if n else float("nan"), "se": se, "ci95": [lo, hi], "n": n}


def summarize(values: dict[str, np.ndarray], n_boot: int = 1000, seed: int = 0) -> dict[str, object]:
    """{metric: mean, metric_ci95: [lo, hi]} for per-user (or per-item) metric arrays."""
    out: dict[str, object] = {}
    for k, v in values.items():
        v = np.asarray(v, dtype=np.float64)
        out[k] = float(v.mean()) if len(v) else float("nan")
        out[f"{k}_ci95"] = list(bootstrap_ci(v, n_boot, seed))
    return out


def rmse(pred: Sequence[float] | np.ndarray, truth: Sequence[float] | np.ndarray) -> float:
    e = np.asarray(pred, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return float(np.sqrt(np.mean(e ** 2)))


def mae(pred: Sequence[float] | np.ndarray, truth: Sequence[float] | np.ndarray) -> float:
    e = np.asarray(pred, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return float(np.mean(np.abs(e)))


def rating_summary(pred: np.ndarray, truth: np.ndarray, groups: np.ndarray, n_boot: int = 1000,
                   seed: int = 0) -> dict[str, object]:
    """RMSE and MAE over all held-out ratings, with intervals from resampling users (`groups`)."""
    pred, truth, groups = np.asarray(pred, float), np.asarray(truth, float), np.asarray(groups)
    out: dict[str, object] = {"rmse": rmse(pred, truth), "mae": mae(pred, truth), "ratings": int(len(truth))}
    uniq, inv = np.unique(groups, return_inverse=True)
    se = np.bincount(inv, weights=(pred - truth) ** 2, minlength=len(uniq))
    ae = np.bincount(inv, weights=np.abs(pred - truth), minlength=len(uniq))
    cnt = np.bincount(inv, minlength=len(uniq)).astype(float)
    rng = np.random.default_rng(seed)
    r_b, m_b = [], []
    for _ in range(n_boot):
        idx = rng.integers(0, len(uniq), size=len(uniq))
        c = cnt[idx].sum()
        r_b.append(math.sqrt(se[idx].sum() / c))
        m_b.append(ae[idx].sum() / c)
    out["rmse_ci95"] = [float(np.quantile(r_b, 0.025)), float(np.quantile(r_b, 0.975))]
    out["mae_ci95"] = [float(np.quantile(m_b, 0.025)), float(np.quantile(m_b, 0.975))]
    return out
