"""One predicate says what may be shown: the allowed set, the index's mask and Chroma's own `where` agree on the
shipped catalogs, for limits written in any case (real Chroma; vectors are random, only the filters are under test).

Before this predicate the three disagreed: on the movies catalog a request for "comedy" kept 88 items in code and 18
in Chroma, "no horror" 602 in code and 0 in Chroma, "not in english" 113 and 660.
"""
from __future__ import annotations

import numpy as np
import pytest

from chatrec.candidates.allowed import chroma_where, violates
from chatrec.candidates.sources import hard_filter
from chatrec.catalog.catalog import Catalog
from chatrec.catalog.index import Index
from chatrec.dialogue.state import Constraint as C
from chatrec.dialogue.state import DialogueState
from chatrec.settings import Settings

LIMITS = {
    "movies": [
        {"genres": C(exclude=["Horror"]), "year": C(min=1990, max=2010)},
        {"genres": C(exclude=["horror"])},
        {"genres": C(include=["comedy", "Romance"]), "runtime_minutes": C(max=95)},
        {"genres": C(include=["SCIENCE FICTION"], exclude=["war"])},
        {"genres": C(include=["no such genre"])},
        {"language": C(include=["french"])},
        {"language": C(exclude=["english"]), "year": C(max=1980)},
        {"language": C(include=["French", "Italian"]), "year": C(max=1980)},
        {"age_rating": C(include=["pg-13"])},
        {"age_rating": C(include=["PG-13"], exclude=["r"])},
        {"directors": C(include=["christopher nolan"])},
        {"cast": C(exclude=["Tom Hanks"]), "genres": C(include=["Drama"])},
    ],
    "products": [
        {"price_usd": C(min=10, max=60), "category": C(exclude=["Soccer", "christmas"])},
        {"category": C(include=["hiking"])},
        {"tags": C(include=["gift"])},
    ],
}


class RandomEmbedder:
    """Random unit vectors: the filters, not the model, are under test."""

    tag = "random8"

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        v = np.random.default_rng(len(texts)).standard_normal((len(texts), 8)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    d = tmp_path_factory.mktemp("allowed")
    return Index(Settings(data_dir=d, chroma_path=d / "chroma"), RandomEmbedder())


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_allowed_set_index_mask_and_chroma_where_agree(index: Index, name: str) -> None:
    cat = Catalog.load(name, Settings())
    index.sync(cat)
    col = index.collection(cat)
    pos, mat = index.matrix(cat)
    q = mat[0]
    for cons in LIMITS[name]:
        allowed = hard_filter(cat, DialogueState(catalog=name, constraints=cons)).allowed
        assert allowed == {it["id"] for it in cat.items
                           if not any(violates(it, k, c, cat) for k, c in cons.items())}, cons
        where, exact = chroma_where(cat, cons)
        chroma = set(col.get(where=where)["ids"]) if where else set(cat.by_id)
        if exact:
            assert chroma == allowed, cons
        else:  # an open-vocabulary field (people, tags) is not in Chroma's metadata: a wider where, never narrower
            assert chroma >= allowed and chroma != allowed, cons
        hits = index.query(cat, q, len(cat.items), allowed)
        assert {i for i, _ in hits} == allowed, cons
        assert np.allclose([s for _, s in hits], sorted((float(mat[pos[i]] @ q) for i in allowed), reverse=True))
    emptied = any(not hard_filter(cat, DialogueState(catalog=name, constraints=c)).allowed for c in LIMITS[name])
    assert emptied == (name == "movies")
    assert index.query(cat, q, 5, set()) == []


def test_case_of_a_limit_does_not_matter() -> None:
    cat = Catalog.load("movies", Settings())
    for field, a, b in [("genres", "Comedy", "cOMEDY"), ("language", "French", "french"), ("age_rating", "R", "r")]:
        for kind in ("include", "exclude"):
            upper = hard_filter(cat, DialogueState(catalog="movies", constraints={field: C(**{kind: [a]})})).allowed
            lower = hard_filter(cat, DialogueState(catalog="movies", constraints={field: C(**{kind: [b]})})).allowed
            assert upper == lower and 0 < len(upper) < len(cat.items), (field, kind)
            assert chroma_where(cat, {field: C(**{kind: [a]})}) == chroma_where(cat, {field: C(**{kind: [b]})})
