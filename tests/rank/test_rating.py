"""The rating predictor's arithmetic on hand-computed cases (the end-to-end figure is in
tests/evaluation/test_eval_smoke.py)."""
from __future__ import annotations

import pytest

from chatrec.rank.signals.rating import RatingModel, item_features


def _model(**kw: float) -> RatingModel:
    return RatingModel(mu=3.0, item_bias={"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.5},
                       item_groups={"a": ["horror"], "b": ["horror"], "c": ["comedy"], "d": ["horror", "comedy"]},
                       lam_user=1e12, **kw)


def test_genre_bias_by_hand() -> None:
    m = _model(group_weight=0.4, lam_group=3.0)
    hist = [("a", 2.0), ("b", 2.0), ("c", 4.0)]  # horror one star below the mean twice, comedy one above once
    horror, comedy = (-1.0 - 1.0) / (2 + 3.0), 1.0 / (1 + 3.0)
    assert m.group_bias(hist, "d", 0.0) == pytest.approx((horror + comedy) / 2)
    assert m.predict(hist, "d") == pytest.approx(3.5 + 0.4 * (horror + comedy) / 2)
    assert m.predict(hist, "d", neighbourhood=False) == pytest.approx(3.5)  # the bias baseline ignores it
    assert m.group_bias(hist, "e", 0.0) == 0.0  # an item without groups


def test_the_rated_item_itself_does_not_count_and_weight_zero_is_off() -> None:
    m = _model(group_weight=0.4, lam_group=3.0)
    assert m.group_bias([("a", 1.0)], "a", 0.0) == 0.0
    assert _model(group_weight=0.0).predict([("a", 2.0), ("b", 2.0)], "d") == pytest.approx(3.5)


def _catalog_fields():  # a manifest-like object: a year, a skewed count, a genre vocabulary, an unused text field
    from chatrec.catalog.manifest import Manifest

    return Manifest.model_validate({
        "name": "t", "domain": "films", "item_noun": "film", "item_noun_plural": "films", "description": "test",
        "title_field": "title",
        "fields": {"id": {"type": "string", "required": True}, "title": {"type": "string", "required": True},
                   "year": {"type": "integer", "unit": "year"}, "audience_votes": {"type": "integer", "unit": "votes"},
                   "popularity": {"type": "number", "unit": "ratings"},
                   "genres": {"type": "list", "vocabulary": ["Horror", "Comedy"]}}})


def test_item_features_by_hand() -> None:
    items = [{"id": "a", "title": "A", "year": 1990, "audience_votes": 0, "popularity": 5, "genres": ["Horror"]},
             {"id": "b", "title": "B", "year": 2010, "audience_votes": 1000, "popularity": 9, "genres": ["Comedy"]},
             {"id": "c", "title": "C", "audience_votes": 10, "genres": ["Horror", "Comedy"]}]
    f = item_features(items, _catalog_fields())
    # year: mean 2000, sd 10 -> z -1 / +1, squared 1, missing flag; votes: skewed (1000 > 20 x median 10) -> log1p
    assert f["a"][:3] == [-1.0, 1.0, 0.0] and f["b"][:3] == [1.0, 1.0, 0.0] and f["c"][:3] == [0.0, 0.0, 1.0]
    import math

    logs = [math.log1p(v) for v in (0, 1000, 10)]
    mean = sum(logs) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 3)
    assert f["b"][3] == pytest.approx((logs[1] - mean) / sd)
    assert [row[6:] for row in (f["a"], f["b"], f["c"])] == [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    assert all(len(row) == 8 for row in f.values())  # popularity is skipped: it counts the fitted ratings


def test_item_bias_prior_from_features() -> None:
    """Horror films are rated one star lower in the data: an unrated horror film gets about that bias, and a film
    with a single rating is pulled towards its genre's level rather than towards 0."""
    ratings = []
    for n in range(40):
        item = f"h{n % 8}" if n % 2 else f"c{n % 8}"
        for u in range(10):
            ratings.append((f"u{u}", item, 2.5 if item.startswith("h") else 3.5))
    ratings.append(("u0", "h_once", 3.0))
    feats = {i: [1.0 if i.startswith("h") else 0.0] for i in {r[1] for r in ratings} | {"h_new", "c_new"}}
    m = RatingModel.fit(ratings, item_features=feats, ridge=0.01)
    plain = RatingModel.fit(ratings)
    assert m.item_bias["h_new"] - m.item_bias["c_new"] == pytest.approx(-1.0, abs=0.05)
    assert "h_new" not in plain.item_bias and m.predict([], "h_new") < m.predict([], "c_new") - 0.9
    assert m.item_bias["h_once"] < plain.item_bias["h_once"] - 0.3  # shrunk towards horror's level, not 0
