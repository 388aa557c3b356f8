"""Public evaluation data (../shared/data): the ranking splits of Amazon Games-6k and ml-latest-small.

A `RankSplit` holds, per evaluated user, the history (at most 50 most recent items, oldest first), the 20 candidates
(target plus 19 negatives, in a seeded shuffled order) and the target's position among them, plus the training
sequences every learned method may use. For the test split the training sequences end before each user's test target;
for the validation split they also end before the validation target, so nothing tuned on validation saw it.

Games-6k (Hou et al., ECIR 2024, LLMRank): `Games-6k.test.inter` is leave-one-out (history incl. the validation
item, then the test target); the 6,000 users of `Games-6k.random` are evaluated with the first 19 of their 100 random
candidates that are not the target (as that paper's code does with has_gt). Validation: the same users'
`Games-6k.valid.inter` target, with 19 uniformly random items (seeded, never the target) as negatives, the same
distribution the `.random` lists were drawn from.

ml-latest-small (GroupLens): every rating is an interaction; per user, ratings sorted by timestamp (ties by movieId);
the last item is the test target, the second-to-last the validation target; users with >= 5 ratings; negatives are
19 movies the user never rated, drawn with a fixed seed.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.errors import DataMissing
from chatrec.settings import ROOT

HISTORY = 50
N_CANDIDATES = 20
NEG_SEED = 2024  # negatives for validation lists and ml-latest-small (fixed: --seed only picks users and inits)


def shared_dir() -> Path:
    return Path(os.environ.get("CHATREC_SHARED_DATA", ROOT.parent / "shared" / "data"))


def need(*parts: str) -> Path:
    p = shared_dir().joinpath(*parts)
    if not p.exists():
        raise DataMissing(f"{p} is missing: the evaluation data lives in ../shared/data (see its SOURCES.md); "
                          f"set CHATREC_SHARED_DATA to its folder")
    return p


@dataclass
class RankSplit:
    """One evaluation split in item indices 0..n_items-1 (`item_ids` maps them to catalog ids)."""

    dataset: str
    split: str  # "test" or "valid"
    item_ids: list[str]
    item_text: list[str]
    users: list[str]
    histories: list[list[int]]
    candidates: np.ndarray  # (U, 20) item indices, shuffled
    target_pos: np.ndarray  # (U,) column of the target in `candidates`
    train_sequences: list[list[int]]  # every user's interactions before the held-out item(s), in time order
    info: dict[str, Any] = field(default_factory=dict)
    as_of_year: list[int] | None = None  # per user: calendar year of the last history event (when known)

    def _years(self, rows: Any) -> list[int] | None:
        return None if self.as_of_year is None else [self.as_of_year[int(r)] for r in rows]

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def targets(self) -> np.ndarray:
        return self.candidates[np.arange(len(self.users)), self.target_pos]

    def subset(self, rows: np.ndarray | list[int]) -> "RankSplit":
        rows = np.asarray(rows, dtype=np.int64)
        return RankSplit(self.dataset, self.split, self.item_ids, self.item_text, [self.users[r] for r in rows],
                         [self.histories[r] for r in rows], self.candidates[rows], self.target_pos[rows],
                         self.train_sequences, {**self.info, "subset": len(rows)}, self._years(rows))

    def popularity(self) -> np.ndarray:
        seqs = [np.asarray(s, dtype=np.int64) for s in self.train_sequences if len(s)]
        return np.bincount(np.concatenate(seqs), minlength=self.n_items).astype(np.float64)


def _shuffle(target: int, negatives: list[int], rng: np.random.Generator) -> tuple[list[int], int]:
    cands = [target, *negatives]
    order = rng.permutation(len(cands))
    return [cands[i] for i in order], int(np.where(order == 0)[0][0])


def sample_users(n_total: int, users: int | None, seed: int) -> np.ndarray:
    """Rows of a seeded sample of `users` (all rows, in order, when None or >= n_total)."""
    if users is None or users <= 0 or users >= n_total:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(seed).choice(n_total, size=users, replace=False))


# --------------------------------------------------------------------------------------------------------------------
# Amazon Games-6k (LLMRank)


def _read_inter(path: Path) -> tuple[list[str], list[list[int]], list[int]]:
    users, hists, targets = [], [], []
    with open(path, encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            if not line.strip():
                continue
            u, h, t = line.rstrip("\n").split("\t")
            users.append(u)
            hists.append([int(x) for x in h.split()])
            targets.append(int(t))
    return users, hists, targets


def games_items() -> tuple[list[str], list[str]]:
    """(catalog ids, titles) of Games-6k.item; item index i is the data set's item id i."""
    titles: dict[int, str] = {}
    with open(need("amazon-games-llmrank", "Games-6k.item"), encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            if line.strip():
                i, _, t = line.rstrip("\n").partition("\t")
                titles[int(i)] = t.strip()
    n = max(titles) + 1
    return [f"g{i}" for i in range(n)], [titles.get(i, f"item {i}") for i in range(n)]


def load_games(split: str = "test") -> RankSplit:
    base = need("amazon-games-llmrank")
    ids, titles = games_items()
    tu, th, tt = _read_inter(base / "Games-6k.test.inter")
    vu, vh, vt = _read_inter(base / "Games-6k.valid.inter")
    trow = {u: n for n, u in enumerate(tu)}
    vrow = {u: n for n, u in enumerate(vu)}
    lists: dict[str, list[int]] = {}
    with open(base / "Games-6k.random", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                u, c = line.rstrip("\n").split("\t")
                lists[u] = [int(x) for x in c.split()]
    eval_users = sorted(lists, key=int)
    rng = np.random.default_rng(NEG_SEED)
    hists, cands, tpos = [], [], []
    for u in eval_users:
        if split == "test":
            h, t = th[trow[u]], tt[trow[u]]
            neg = [c for c in lists[u] if c != t][: N_CANDIDATES - 1]
        else:
            h, t = vh[vrow[u]], vt[vrow[u]]
            neg = []
            while len(neg) < N_CANDIDATES - 1:
                c = int(rng.integers(len(ids)))
                if c != t and c not in neg:
                    neg.append(c)
        c, p = _shuffle(t, neg, rng)
        hists.append(h[-HISTORY:])
        cands.append(c)
        tpos.append(p)
    train = th if split == "test" else vh
    return RankSplit("games", split, ids, titles, eval_users, hists, np.array(cands), np.array(tpos), train,
                     {"source": "amazon-games-llmrank/Games-6k", "train_users": len(train),
                      "negatives": "first 19 of Games-6k.random that are not the target" if split == "test"
                      else f"19 uniform random items (seed {NEG_SEED})"})


# --------------------------------------------------------------------------------------------------------------------
# ml-latest-small


def movielens_ratings() -> dict[int, list[tuple[int, int, float]]]:
    """userId -> [(timestamp, movieId, rating)] sorted by time, ties by movieId."""
    out: dict[int, list[tuple[int, int, float]]] = {}
    with open(need("ml-latest-small", "ratings.csv"), encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(int(r["userId"]), []).append((int(r["timestamp"]), int(r["movieId"]), float(r["rating"])))
    for v in out.values():
        v.sort()
    return out


def movielens_movies() -> list[dict[str, str]]:
    with open(need("ml-latest-small", "movies.csv"), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_movielens(split: str = "test") -> RankSplit:
    movies = movielens_movies()
    ids = [f"ml-{m['movieId']}" for m in movies]
    text = [f"{m['title']}. {m['genres'].replace('|', ', ')}" for m in movies]
    pos = {int(m["movieId"]): n for n, m in enumerate(movies)}
    ratings = movielens_ratings()
    rng = np.random.default_rng(NEG_SEED + (0 if split == "test" else 1))
    cut = 1 if split == "test" else 2
    users, hists, cands, tpos, train, years = [], [], [], [], [], []
    for u in sorted(ratings):
        seq = [pos[m] for _, m, _ in ratings[u] if m in pos]
        stamps = [t for t, m, _ in ratings[u] if m in pos]
        if len(seq) < 5:
            continue
        train.append(seq[:-cut])
        t = seq[-cut]
        seen = set(seq)
        neg: list[int] = []
        while len(neg) < N_CANDIDATES - 1:
            c = int(rng.integers(len(ids)))
            if c not in seen and c not in neg:
                neg.append(c)
        c, p = _shuffle(t, neg, rng)
        users.append(str(u))
        hists.append(seq[:-cut][-HISTORY:])
        years.append(dt.datetime.fromtimestamp(stamps[-cut - 1], dt.timezone.utc).year)
        cands.append(c)
        tpos.append(p)
    return RankSplit("ml-latest-small", split, ids, text, users, hists, np.array(cands), np.array(tpos), train,
                     {"source": "ml-latest-small", "train_users": len(train),
                      "negatives": "19 unrated movies per user, uniform "
                                   f"(seed {NEG_SEED + (0 if split == 'test' else 1)})",
                      "as_of_year": "UTC year of each user's last history rating (the request's date)"}, years)


def load_rank(dataset: str, split: str = "test") -> RankSplit:
    if dataset == "games":
        return load_games(split)
    if dataset in ("ml-latest-small", "movielens", "ml"):
        return load_movielens(split)
    raise ValueError(f"unknown dataset {dataset!r}; use games or ml-latest-small")


def shrink(split: RankSplit, users: int, seed: int = 0, max_train: int = 2000) -> RankSplit:
    """A tiny, self-contained copy for smoke tests: `users` evaluated users, only the items their histories and
    candidates use, and at most `max_train` training sequences restricted to those items (indices remapped)."""
    rows = sample_users(len(split.users), users, seed)
    keep = sorted({int(i) for r in rows for i in [*split.histories[r], *split.candidates[r]]})
    new = {old: n for n, old in enumerate(keep)}
    train = []
    for s in split.train_sequences:
        t = [new[i] for i in s if i in new]
        if len(t) >= 2:
            train.append(t)
        if len(train) >= max_train:
            break
    return RankSplit(split.dataset, split.split, [split.item_ids[i] for i in keep], [split.item_text[i] for i in keep],
                     [split.users[r] for r in rows], [[new[i] for i in split.histories[r]] for r in rows],
                     np.vectorize(new.get)(split.candidates[rows]), split.target_pos[rows], train,
                     {**split.info, "tiny": True, "train_users": len(train)}, split._years(rows))


def cold_items(split: RankSplit, fraction: float, seed: int = 0) -> RankSplit:
    """Cold start: a seeded `fraction` of the distinct test targets become new items. Every interaction with them is
    removed from the training sequences and the histories (no neighbours, no popularity, nobody has them yet), and
    only the users whose target is one of them are evaluated; their 19 negatives stay as they were."""
    targets = np.unique(split.targets)
    n_cold = max(1, int(round(fraction * len(targets))))
    cold = {int(i) for i in np.random.default_rng(seed).choice(targets, size=n_cold, replace=False)}
    rows = [u for u, t in enumerate(split.targets) if int(t) in cold]
    train = [[i for i in s if i not in cold] for s in split.train_sequences]
    return RankSplit(split.dataset, split.split, split.item_ids, split.item_text, [split.users[r] for r in rows],
                     [[i for i in split.histories[r] if i not in cold] for r in rows], split.candidates[rows],
                     split.target_pos[rows], [s for s in train if s],
                     {**split.info, "cold_items": n_cold, "cold_fraction": fraction, "cold_seed": seed},
                     split._years(rows))


# --------------------------------------------------------------------------------------------------------------------
# ReDial (Li et al., NeurIPS 2018)

REDIAL_MENTION = re.compile(r"@(\d+)")


def redial_test() -> list[dict[str, Any]]:
    """The dialogues of ReDial's official test split, in file order (`redial/test_data.jsonl`)."""
    import json

    with open(need("redial", "test_data.jsonl"), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def redial_name(mentions: dict[str, str], movie_id: str) -> str:
    """A mention as ReDial's own movie list names it, e.g. 'American Pie (1999)' (spaces collapsed)."""
    return " ".join(str(mentions.get(movie_id) or "").split())


def redial_text(text: str, mentions: dict[str, str]) -> str:
    """A message with every @id written as the movie's name, the way the seeker saw it on screen."""
    return REDIAL_MENTION.sub(lambda m: redial_name(mentions, m.group(1)) or "a movie", text).strip()
