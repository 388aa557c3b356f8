"""The rating predictor's arithmetic on hand-computed cases (the end-to-end figure is in tests/test_eval_smoke.py)."""
from __future__ import annotations

import pytest

from chatrec.rating import RatingModel


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
