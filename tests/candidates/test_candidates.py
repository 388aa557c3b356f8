"""Candidate sources on a small hand-made catalog: each signal of the state brings its items, all within the hard
limits, never a liked or owned item. The index is a stand-in (content search is tested in test_index.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from chatrec.candidates.sources import candidate_sources, hard_filter, retrieve
from chatrec.catalog.catalog import Catalog
from chatrec.catalog.manifest import Manifest
from chatrec.dialogue.state import Constraint, DialogueState
from chatrec.rank.signals.learned import Learned


class NoContentIndex:
    """Answers content queries with nothing, so only the other sources speak."""

    def query(self, catalog: Catalog, vector: np.ndarray, n: int, where: Any) -> list[tuple[str, float]]:
        return []

    def mask(self, catalog: Catalog, allowed: set[str]) -> set[str]:
        return allowed

    def matrix(self, catalog: Catalog) -> tuple[dict[str, int], np.ndarray]:
        return {}, np.zeros((0, 4), dtype=np.float32)


def _catalog() -> Catalog:
    man = Manifest.model_validate({
        "name": "cands", "domain": "movies", "item_noun": "movie", "item_noun_plural": "movies",
        "fields": {"id": {"type": "string", "required": True}, "title": {"type": "string", "required": True},
                   "year": {"type": "integer", "filter": "range"},
                   "genres": {"type": "list", "filter": "include_exclude",
                              "vocabulary": ["Comedy", "Romance", "Horror"]},
                   "cast": {"type": "list", "filter": "member"},
                   "popularity": {"type": "number"}}})
    items = [
        {"id": "c1", "title": "Big Comedy", "year": 1999, "genres": ["Comedy"], "popularity": 900, "cast": ["Ann Lee"]},
        {"id": "c2", "title": "Old Comedy", "year": 1950, "genres": ["Comedy"], "popularity": 500},
        {"id": "c3", "title": "Small Comedy", "year": 2001, "genres": ["Comedy"], "popularity": 3},
        {"id": "rc", "title": "Rom Com", "year": 2003, "genres": ["Comedy", "Romance"], "popularity": 50},
        {"id": "h1", "title": "Scary", "year": 2005, "genres": ["Horror"], "popularity": 1000, "cast": ["Ann Lee"]},
        {"id": "h2", "title": "Scarier", "year": 2006, "genres": ["Horror"], "popularity": 10},
    ]
    nb = {"h2": [("c3", 0.9), ("h1", 0.2)], "c2": [("c3", 0.3), ("rc", 0.5)]}
    return Catalog("cands", Path("."), man, items, Learned(neighbors=nb))


def _sources(cat: Catalog, st: DialogueState, n: int = 2) -> dict[str, list[str]]:
    return candidate_sources(NoContentIndex(), cat, st, np.zeros(4, np.float32), hard_filter(cat, st).allowed, n)


def test_a_wanted_genre_brings_its_best_known_items_both_genres_first() -> None:
    cat = _catalog()
    st = DialogueState(catalog="cands")
    st.liked_attributes.genres = ["Comedy"]
    assert _sources(cat, st)["vocabulary_popular"] == ["c1", "c2"]
    st.liked_attributes.genres = ["Romance", "Comedy"]
    assert _sources(cat, st)["vocabulary_popular"][0] == "rc"  # the one item with both


def test_every_source_stays_within_hard_limits_and_skips_liked_and_owned() -> None:
    cat = _catalog()
    st = DialogueState(catalog="cands", liked_items=["h2", "c2"], owned_items=["c3"],
                       constraints={"year": Constraint(min=1990)})
    st.liked_attributes.genres = ["Comedy"]
    st.liked_attributes.people = ["Ann Lee"]
    src = _sources(cat, st, n=5)
    allowed = hard_filter(cat, st).allowed
    for ids in src.values():
        assert set(ids) <= allowed and not set(ids) & {"h2", "c2", "c3"}
    assert src["vocabulary_popular"][:2] == ["c1", "rc"]  # c2 (1950) broke the year limit
    assert src["co_occurrence"] == ["rc", "h1"]  # summed over both liked items; c3 is owned
    assert src["attribute"] == ["h1", "c1"]  # the work of a wanted person, best known first
    assert src["popular"][:2] == ["h1", "c1"]
    ids, counts = retrieve(NoContentIndex(), cat, st, np.zeros(4, np.float32), allowed, 5)
    assert set(ids) == set().union(*src.values()) and sum(counts.values()) == len(ids)


def test_an_excluded_genre_never_comes_back_through_popularity() -> None:
    cat = _catalog()
    st = DialogueState(catalog="cands", constraints={"genres": Constraint(exclude=["Horror"])})
    st.liked_attributes.genres = ["Horror"]  # contradictory wish: the hard limit wins
    src = _sources(cat, st, n=10)
    assert not {"h1", "h2"} & set().union(*src.values())


class FakeSequence:
    """A sequence model that always predicts the items in a fixed order (NaN: never seen in training)."""

    item_ids = ["c1", "c2", "c3", "rc", "h1", "h2"]

    def zscores(self, history: list[str]) -> np.ndarray:
        return np.array([0.1, np.nan, 2.0, 1.0, 3.0, 5.0])


def test_the_sequence_model_brings_its_top_next_items_within_limits() -> None:
    cat = _catalog()
    cat.learned.sequence = FakeSequence()
    st = DialogueState(catalog="cands", liked_items=["c1"], constraints={"genres": Constraint(exclude=["Horror"])})
    assert _sources(cat, st, n=2)["sequence"] == ["c3", "rc"]  # h2 and h1 score higher but are Horror
    assert _sources(cat, st.model_copy(update={"liked_items": []}), n=2)["sequence"] == []


def _public_catalog() -> Catalog:
    """The hand-made catalog with a public vote count named by its manifest (as the MovieLens import names TMDB's)."""
    base = _catalog()
    raw = base.manifest.model_dump()
    raw["fields"]["votes"] = {"type": "integer"}
    raw["public_popularity"] = "votes"
    votes = {"c1": 10, "c2": 20, "c3": 5000, "rc": 0, "h1": 30, "h2": 400}
    items = [{**it, **({"votes": votes[it["id"]]} if votes[it["id"]] else {})} for it in base.items]
    return Catalog("cands", Path("."), Manifest.model_validate(raw), items, base.learned)


def test_public_popularity_orders_the_best_known_and_is_its_own_source() -> None:
    cat = _public_catalog()
    st = DialogueState(catalog="cands", constraints={"year": Constraint(max=2005)})
    st.liked_attributes.genres = ["Comedy"]
    src = _sources(cat, st, n=3)
    assert src["public_popular"] == ["c3", "h1", "c2", "c1"]  # h2 (400 votes) is from 2006: over the limit; rc none
    assert _sources(cat, st, n=1)["public_popular"] == ["c3", "h1", "c2"]  # three times n
    assert _sources(cat, st, n=4)["vocabulary_popular"] == ["c3", "c2", "c1", "rc"]  # by votes, then none
    assert src["popular"] == ["h1", "c1", "c2"]  # the catalog's own popularity is unchanged
    assert _sources(_catalog(), st, n=3)["public_popular"] == []  # a manifest that names none: no source


def test_owned_items_seed_co_occurrence_and_stay_out() -> None:
    cat = _catalog()
    st = DialogueState(catalog="cands", owned_items=["h2"])  # "I have seen Scarier": no verdict, still a signal
    src = _sources(cat, st, n=5)
    assert src["co_occurrence"] == ["c3", "h1"] and "h2" not in set().union(*src.values())


def test_public_popularity_must_name_a_numeric_field() -> None:
    import pytest
    from pydantic import ValidationError

    raw = _catalog().manifest.model_dump()
    for bad in ("votes", "title"):
        with pytest.raises(ValidationError, match="public_popularity"):
            Manifest.model_validate({**raw, "public_popularity": bad})
