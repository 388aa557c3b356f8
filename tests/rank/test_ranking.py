"""The ranking stage on its own, with the real embedder and index: what a new item (no interactions) is worth."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from chatrec.rank.signals.learned import Learned


def test_new_item_borrows_the_standing_of_its_content_neighbours(rules_rec) -> None:
    rec, movies = rules_rec, rules_rec.catalog("movies")  # the ranker alone: no model loaded
    from chatrec.dialogue.state import DialogueState
    from chatrec.rank.ranker import Ranker

    pos, mat = rec.index.matrix(movies)
    ids = [it["id"] for it in movies.items]
    liked = ids[0]
    near = [ids[j] for j in np.argsort(-(mat[[pos[i] for i in ids]] @ mat[pos[liked]]))[1:40]]
    new = near[2]  # close to what the user liked, but nobody has interacted with it yet
    items = [dict(it, popularity=0 if it["id"] == new else 5 + n % 50) for n, it in enumerate(movies.items)]
    neighbors = {liked: [(j, 1.0 / (k + 1)) for k, j in enumerate(near) if j != new]}
    cat = replace(movies, items=items, learned=Learned(neighbors=neighbors))
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


def test_era_scores_by_hand() -> None:
    from chatrec.rank.context import era_scores

    s = era_scores([1990, 1990], [1990, 2020, None, 1995])
    assert s[0] == 1.0  # at the centre of the liked years (density 1)
    assert s[1] < 0.01 and s[2] == 0.0  # 30 years away; no year at all
    k = np.exp(-0.5)  # 5 years = one bandwidth
    assert abs(s[3] - np.log((k + 0.05) / 0.05) / np.log(1.05 / 0.05)) < 1e-12
    assert not era_scores([], [1990]).any()


def test_release_year_and_era_in_the_ranker(rules_rec) -> None:
    """Items from after the request's year are pushed down (not out yet); the liked items' era lifts its films."""
    rec, movies = rules_rec, rules_rec.catalog("movies")
    from chatrec.dialogue.state import DialogueState
    from chatrec.rank.ranker import Ranker

    dated = [it for it in movies.items if it.get("year")]
    y0 = next(int(it["year"]) for it in dated if 1970 <= int(it["year"]) < 1990)
    old = [it["id"] for it in dated if abs(int(it["year"]) - y0) <= 3][:3]
    late = [it["id"] for it in dated if int(it["year"]) >= 2010][:5]
    assert len(old) == 3 and len(late) == 5
    ranker = Ranker(movies, rec.index, rec.embedder, None)
    w = ranker.weights.weights
    assert w["not_yet_released"] < 0 and w["era"] > 0
    st = DialogueState(catalog="movies", liked_items=old[:1], as_of_year=2000)
    got = {s.item_id: s for s in ranker.rank(st, [*old[1:], *late], use_llm=False)}
    assert all(got[i].components["not_yet_released"] == 1.0 for i in late)
    assert all(got[i].components["not_yet_released"] == 0.0 for i in old[1:])
    now = {s.item_id: s for s in ranker.rank(st.model_copy(update={"as_of_year": None}), [*old[1:], *late],
                                             use_llm=False)}
    assert all(now[i].components["not_yet_released"] == 0.0 for i in late)  # default: this year
    this_year = __import__("datetime").date.today().year
    for i in late:  # not out in 2000; in this year a recent release
        y = int(movies.by_id[i]["year"])
        assert got[i].components["recent_release"] == 0.0
        assert now[i].components["recent_release"] == pytest.approx(np.exp(-(this_year - y) / 4.0))
        assert now[i].score - got[i].score == pytest.approx(-w["not_yet_released"] + w["recent_release"]
                                                            * now[i].components["recent_release"])
    assert max(got[i].components["era"] for i in late) < min(got[i].components["era"] for i in old[1:])


def test_public_popularity_and_owned_seeds_count_for_talk_only(rules_rec) -> None:
    """The manifest's public vote count and co-occurrence with the items the user has seen are components of their
    own: weight 0 for a rating history (the LLMRank tables do not move), the conversation overrides for talk."""
    rec, movies = rules_rec, rules_rec.catalog("movies")
    from chatrec.dialogue.state import DialogueState, Turn
    from chatrec.rank.ranker import Ranker

    ids = [it["id"] for it in movies.items]
    seen, cands = ids[0], ids[1:21]
    man = movies.manifest.model_copy(deep=True)
    man.fields["votes"] = man.fields["year"].model_copy(update={"filter": None, "display": "hidden"})
    man.public_popularity = "votes"
    items = [dict(it, votes=10 ** (n % 5)) if n % 5 else dict(it) for n, it in enumerate(movies.items)]
    neighbors = {seen: [(cands[3], 2.0), (cands[7], 1.0)]}
    cat = replace(movies, manifest=man, items=items, learned=Learned(neighbors=neighbors))
    for k in ("by_id", "_titles"):
        cat.__dict__.pop(k, None)
    ranker = Ranker(cat, rec.index, rec.embedder, None)
    history = DialogueState(catalog="movies", liked_items=[ids[30]], owned_items=[seen])
    talk = history.model_copy(update={"turns": [Turn(role="user", text="I have seen it")]})
    h = {s.item_id: s for s in ranker.rank(history, cands, use_llm=False)}
    t = {s.item_id: s for s in ranker.rank(talk, cands, use_llm=False)}
    votes = {it["id"]: it.get("votes", 0) for it in items}
    top = max(np.log1p(v) for v in votes.values())
    for i in cands:
        assert h[i].components["public_popularity"] == pytest.approx(np.log1p(votes[i]) / top)
    assert h[cands[3]].components["owned_co_occurrence"] == 1.0 and h[cands[7]].components["owned_co_occurrence"] == 0.5
    assert h[cands[0]].components["owned_co_occurrence"] == 0.0
    base = ranker.weights.weights
    assert base["public_popularity"] == 0.0 and base["owned_co_occurrence"] == 0.0
    plain = replace(cat, manifest=movies.manifest)  # names no public popularity
    for k in ("by_id", "_titles"):
        plain.__dict__.pop(k, None)
    plain = Ranker(plain, rec.index, rec.embedder, None)  # the same history without these signals scores the same
    assert all(s.score == pytest.approx(h[s.item_id].score) for s in plain.rank(
        history.model_copy(update={"owned_items": []}), cands, use_llm=False))
    w = ranker.weights.for_state(talk)
    for i in cands:
        c = t[i].components
        assert t[i].score == pytest.approx(sum(w.get(k, 0.0) * v for k, v in c.items()))


def test_talk_weights_keep_the_users_reactions_to_shown_cards(rules_rec) -> None:
    """A thumbs-down pushes similar items down and cards already shown give way, in talk too: the replay that tunes
    the conversation weights cannot see these reactions, so `eval tune-talk` leaves them at the base weights."""
    rec, movies = rules_rec, rules_rec.catalog("movies")
    from chatrec.dialogue.state import DialogueState, Turn
    from chatrec.evaluation.replay_tune import FEEDBACK, TUNED
    from chatrec.rank.ranker import Ranker

    assert not set(FEEDBACK) & set(TUNED)
    ranker = Ranker(movies, rec.index, rec.embedder, None)
    talk = DialogueState(catalog="movies", soft_preferences=["funny"], turns=[Turn(role="user", text="funny")])
    w = ranker.weights.for_state(talk)
    assert w["disliked_similarity"] < 0 and w["already_shown"] < 0
    cands = [it["id"] for it in movies.items[:60]]
    first = {s.item_id: s for s in ranker.rank(talk, cands, use_llm=False)}
    order = sorted(first, key=lambda i: -first[i].score)
    disliked, shown = order[0], order[1:4]
    after = talk.model_copy(update={"disliked_items": [disliked], "shown_items": shown})
    rest = [i for i in cands if i != disliked]
    second = {s.item_id: s for s in ranker.rank(after, rest, use_llm=False)}
    for i in shown:
        assert second[i].score < first[i].score
    closest = max(rest, key=lambda i: second[i].components["disliked_similarity"])
    assert second[closest].components["disliked_similarity"] > 0.3
    assert second[closest].score < first[closest].score
