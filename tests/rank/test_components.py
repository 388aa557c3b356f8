"""The ranker's component registry (`chatrec.rank.components`): every weight in the committed file names a registered
component or a known shape parameter, and a component registered anywhere is scored, weighted and shown without
touching the ranker. A four-item catalog and a stand-in index: no embedder, no model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.catalog.manifest import Manifest
from chatrec.dialogue.state import DialogueState
from chatrec.rank.components import COMPONENTS, MARKERS, OTHER_WEIGHTS, component, weight_of
from chatrec.rank.context import RankContext
from chatrec.rank.ranker import Ranker, Scored, Weights

VECTORS = {"a": [1.0, 0.0, 0.0], "b": [0.8, 0.6, 0.0], "c": [0.0, 1.0, 0.0], "new": [0.9, 0.3, 0.1]}


class MatrixIndex:
    """The item vectors the ranker reads, from a dict."""

    def __init__(self) -> None:
        mat = np.array(list(VECTORS.values()), dtype=np.float32)
        self.mat = mat / np.linalg.norm(mat, axis=1, keepdims=True)
        self.pos = {i: n for n, i in enumerate(VECTORS)}

    def matrix(self, catalog: Catalog) -> tuple[dict[str, int], np.ndarray]:
        return self.pos, self.mat


def _ranker() -> Ranker:
    man = Manifest.model_validate({
        "name": "tiny", "domain": "things", "item_noun": "thing", "item_noun_plural": "things",
        "fields": {"id": {"type": "string", "required": True}, "title": {"type": "string", "required": True},
                   "popularity": {"type": "number"}}})
    items = [{"id": "a", "title": "A", "popularity": 10}, {"id": "b", "title": "Bee", "popularity": 5},
             {"id": "c", "title": "Cee cee", "popularity": 1}, {"id": "new", "title": "New one"}]
    return Ranker(Catalog("tiny", Path("."), man, items), MatrixIndex(), None, None)  # type: ignore[arg-type]


def _rank(ranker: Ranker, st: DialogueState) -> dict[str, Scored]:
    return {s.item_id: s for s in ranker.rank(st, list(VECTORS), query_vec=np.array([0.0, 0.0, 1.0]), use_llm=False)}


def test_every_weight_names_a_component_or_a_known_key() -> None:
    w = Weights.load()
    registered = {c.weight for c in COMPONENTS.values()}
    keys = set(w.weights) | set(w.conversation.weights if w.conversation else {})
    unknown = keys - registered - set(OTHER_WEIGHTS) - set(MARKERS.values())
    assert not unknown, f"weights that no component reads: {sorted(unknown)}"
    assert registered <= set(w.weights), f"components without a weight: {sorted(registered - set(w.weights))}"
    assert not set(OTHER_WEIGHTS) & set(COMPONENTS) and not set(MARKERS) & set(COMPONENTS)
    assert all(weight_of(name) == c.weight for name, c in COMPONENTS.items())


def test_components_are_shown_in_registration_order() -> None:
    st = DialogueState(catalog="tiny", liked_items=["a"])
    scored = _rank(_ranker(), st)
    shown = [k for k in scored["b"].components if k not in MARKERS]
    assert shown == [n for n in COMPONENTS if n != "sequence"]  # no sequence model: that component does not apply


def test_a_registered_component_is_scored_weighted_and_shown() -> None:
    ranker = _ranker()
    st = DialogueState(catalog="tiny", liked_items=["a"])
    before = _rank(ranker, st)

    def title_length(ctx: RankContext, i: str) -> float:
        return len(ctx.catalog.by_id[i]["title"]) / 10

    try:
        component("title_length", weight="title_weight")(title_length)
        with pytest.raises(ValueError, match="registered twice"):
            component("title_length")(title_length)
        ranker.weights = ranker.weights.model_copy(update={"weights": {**ranker.weights.weights, "title_weight": 2.0}})
        after = _rank(ranker, st)
    finally:
        COMPONENTS.pop("title_length", None)
    for i, s in after.items():
        value = len(ranker.catalog.by_id[i]["title"]) / 10
        assert s.components["title_length"] == value
        assert s.score == pytest.approx(before[i].score + 2.0 * value)
    assert "title_length" not in _rank(ranker, st)["a"].components


def test_a_collaborative_component_is_borrowed_by_a_new_item() -> None:
    """A component marked collaborative is learned from interactions: an item without any borrows it from its
    nearest warm items by content, like co-occurrence and popularity."""
    ranker = _ranker()

    def known_items(ctx: RankContext, i: str) -> float:
        return 0.0 if i == "new" else 1.0

    try:
        component("known_items", collaborative=True)(known_items)
        scored = _rank(ranker, DialogueState(catalog="tiny"))
    finally:
        COMPONENTS.pop("known_items", None)
    new = scored["new"].components
    assert new["cold_start"] == 1.0
    assert new["known_items"] == pytest.approx(ranker.weights.weights["cold_start_imputation"])  # mean of 1s
    assert all("cold_start" not in scored[i].components for i in "abc")
