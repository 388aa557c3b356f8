"""The ranking stage on its own, with the real embedder and index: what a new item (no interactions) is worth."""
from __future__ import annotations

from dataclasses import replace

import numpy as np


def test_new_item_borrows_the_standing_of_its_content_neighbours(rec, movies) -> None:
    from chatrec.ranking import Ranker
    from chatrec.state import DialogueState

    pos, mat = rec.index.matrix(movies)
    ids = [it["id"] for it in movies.items]
    liked = ids[0]
    near = [ids[j] for j in np.argsort(-(mat[[pos[i] for i in ids]] @ mat[pos[liked]]))[1:40]]
    new = near[2]  # close to what the user liked, but nobody has interacted with it yet
    items = [dict(it, popularity=0 if it["id"] == new else 5 + n % 50) for n, it in enumerate(movies.items)]
    neighbors = {liked: [(j, 1.0 / (k + 1)) for k, j in enumerate(near) if j != new]}
    cat = replace(movies, items=items, neighbors=neighbors)
    cat.__dict__.pop("by_id", None)
    st = DialogueState(catalog="movies", liked_items=[liked])
    rng = np.random.default_rng(0)
    cands = [new, *rng.choice([i for i in ids if i not in near and i != liked], 19, replace=False).tolist()]
    ranker = Ranker(cat, rec.index, rec.embedder, None)
    assert ranker.weights.weights["cold_start_imputation"] == 1.0
    with_ = {s.item_id: s for s in ranker.rank(st, cands)}
    off = ranker.weights.model_copy(update={"weights": {**ranker.weights.weights, "cold_start_imputation": 0.0}})
    without = {s.item_id: s for s in Ranker(cat, rec.index, rec.embedder, None, weights=off).rank(st, cands)}
    c = with_[new].components
    assert c["cold_start"] == 1.0 and c["co_occurrence"] > 0 and c["popularity"] > 0
    assert without[new].components["co_occurrence"] == 0 and without[new].components["popularity"] == 0
    assert all("cold_start" not in with_[i].components for i in cands[1:])  # items with data are left alone
    assert all(with_[i].score == without[i].score for i in cands[1:])
    assert with_[new].score > without[new].score
    rank = {name: sorted(d, key=lambda i: -d[i].score).index(new) for name, d in (("with", with_),
                                                                                   ("without", without))}
    assert rank["with"] <= rank["without"]
