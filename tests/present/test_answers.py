"""Answers about one item from code only: facts and "would I like it?" (the rating-model half runs on the imported
MovieLens catalog in tests/importers/test_importers_movielens.py; the whole turn with the real model in
tests/test_recommender.py)."""
from __future__ import annotations

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import Constraint, DialogueState
from chatrec.present.answers import LIKE_STARS, answer_fit, rating_history
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return Catalog.load("movies", Settings())


def test_fit_without_ratings_says_so_and_names_broken_limits(cat: Catalog) -> None:
    heat = cat.by_id[cat.find_title("Heat")]
    st = DialogueState(catalog="movies", constraints={"runtime_minutes": Constraint(max=120)})
    text = answer_fit(cat, st, heat, (20, 100))
    assert cat.learned.rating is None and "no ratings" in text
    assert "runtime minutes <= 120" in text and f"{heat['runtime_minutes']} minutes" in text
    assert "would not recommend" in text and "pick number" not in text


def test_fit_reports_the_rankers_place_and_the_shared_genres(cat: Catalog) -> None:
    heat, liked = cat.find_title("Heat"), cat.find_title("The Godfather")
    st = DialogueState(catalog="movies", liked_items=[liked])
    text = answer_fit(cat, st, cat.by_id[heat], (3, 80))
    assert "pick number 3 of 80" in text and "like The Godfather (1972), which you liked" in text
    assert "Crime" in text  # both are crime films


def test_fit_uses_what_the_user_already_said(cat: Catalog) -> None:
    heat = cat.find_title("Heat")
    st = DialogueState(catalog="movies", stars_out_of_5={heat: 2.0})
    assert answer_fit(cat, st, cat.by_id[heat], None) == "You gave Heat (1995) 2 stars yourself."
    st = DialogueState(catalog="movies", rejected_items=[heat])
    assert "turned Heat (1995) down" in answer_fit(cat, st, cat.by_id[heat], None)


def test_rating_history_stars_first_then_thumbs() -> None:
    st = DialogueState(catalog="movies", liked_items=["a", "b"], disliked_items=["c"], stars_out_of_5={"b": 3.5})
    assert rating_history(st) == [("b", 3.5), ("a", LIKE_STARS), ("c", 1.5)]
