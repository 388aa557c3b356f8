"""The sequence model (chatrec/rank/signals/sequence.py) on its own and inside the ranker: it must learn ORDER,
which the
co-occurrence sums cannot see, survive a save/load, and reach the ranker as a visible component."""
from __future__ import annotations

from dataclasses import replace

import numpy as np


def _ordered_sequences(n_items: int, n_seq: int, seed: int = 0) -> list[list[int]]:
    """Walks through a ring of items: after item i comes i+1 (mod n), from random starting points."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_seq):
        start, length = int(rng.integers(n_items)), int(rng.integers(4, 12))
        out.append([(start + k) % n_items for k in range(length)])
    return out


def test_learns_what_comes_next_and_round_trips(tmp_path) -> None:
    from chatrec.rank.signals.sequence import SequenceConfig, SequenceModel

    ids = [f"i{k}" for k in range(30)]
    config = SequenceConfig(dim=32, epochs=8, negatives=16, batch=32, lr=5e-3)
    m = SequenceModel.train(_ordered_sequences(30, 600), ids, config)
    assert m.info["epochs_run"] == 8 and m.seen.all()
    hits = 0
    for last in range(30):
        z = m.zscores([ids[(last - 2) % 30], ids[(last - 1) % 30], ids[last]])
        hits += int(np.nanargmax(z) == (last + 1) % 30)
    assert hits >= 27, hits  # a bag-of-items model cannot tell i+1 from i-1; this one must
    m.save(tmp_path / "sequence_model.pt")
    back = SequenceModel.load(tmp_path / "sequence_model.pt")
    h = [[1, 2, 3], [7]]
    assert np.allclose(m.logits(h), back.logits(h)) and back.item_ids == ids
    assert m.zscores(["not-an-item"]) is None


def test_unseen_items_have_no_score() -> None:
    from chatrec.rank.signals.sequence import SequenceConfig, SequenceModel

    ids = [f"i{k}" for k in range(12)]
    seqs = _ordered_sequences(10, 200)  # items i10, i11 never occur
    m = SequenceModel.train(seqs, ids, SequenceConfig(dim=16, epochs=2, negatives=8))
    z = m.zscores(["i1", "i2"])
    assert np.isnan(z[10]) and np.isnan(z[11]) and not np.isnan(z[:10]).any()
    assert abs(float(np.nanmean(z))) < 1e-6  # standardized over the items it knows


def test_ranker_uses_the_catalogs_sequence_model(rules_rec) -> None:
    rec, movies = rules_rec, rules_rec.catalog("movies")  # the ranker alone: no model loaded
    from chatrec.dialogue.state import DialogueState
    from chatrec.rank.ranker import Ranker
    from chatrec.rank.signals.learned import Learned
    from chatrec.rank.signals.sequence import SequenceConfig, SequenceModel

    ids = [it["id"] for it in movies.items][:40]
    seqs = [[ids.index(i) for i in ids[s:s + 6]] for s in range(0, 34)] * 20  # i -> i+1 along the catalog order
    model = SequenceModel.train(seqs, ids, SequenceConfig(dim=32, epochs=6, negatives=16, batch=32, lr=5e-3))
    cat = replace(movies, learned=Learned(sequence=model))
    st = DialogueState(catalog="movies", liked_items=ids[10:13])
    cands = ids[20:30] + [ids[13]]
    w = Ranker(cat, rec.index, rec.embedder, None).weights
    on = w.model_copy(update={"weights": {**w.weights, "sequence": 5.0}})
    off = w.model_copy(update={"weights": {**w.weights, "sequence": 0.0}})
    with_ = {s.item_id: s for s in Ranker(cat, rec.index, rec.embedder, None, weights=on).rank(st, cands)}
    without = {s.item_id: s for s in Ranker(cat, rec.index, rec.embedder, None, weights=off).rank(st, cands)}
    assert all("sequence" not in s.components for s in without.values())
    seq = {i: s.components["sequence"] for i, s in with_.items()}
    assert max(seq, key=seq.get) == ids[13]  # what comes next after the user's last likes
    assert abs(with_[ids[13]].score - without[ids[13]].score - 5.0 * seq[ids[13]]) < 1e-9
