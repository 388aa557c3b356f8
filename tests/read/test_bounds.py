"""Directions as algebra (read/bounds.py): every bound word is a side and an edge, a negation flips it once. The
property tests generate cue x direction word x value x word order x clause position and check the bound read
against what the words mean, computed here from a table of meanings written for the test (not the reader's)."""
from __future__ import annotations

import itertools
import operator
from collections.abc import Callable

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.read.bounds import Bound, directions
from chatrec.read.understand import apply, understand
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.load("movies", Settings())


@pytest.fixture(scope="module")
def products() -> Catalog:
    return Catalog.load("products", Settings())


def test_a_flip_turns_side_and_edge_and_twice_is_nothing() -> None:
    b = Bound("max", False, 1980)
    assert b.flipped() == Bound("min", True, 1980) and b.flipped().flipped() == b
    assert b.edge(1) == 1979 and b.flipped().edge(1) == 1980 and Bound("min", False, 1990).edge(1) == 1991
    assert Bound("max", False, 120).edge(0) == 120  # a spoken duration keeps its number


def test_field_words_come_from_the_manifest(movies: Catalog) -> None:
    spec = movies.manifest.fields["runtime_minutes"]
    d = directions(spec.comparatives)
    assert d.before["shorter than"] == ("max", False) and d.after["or longer"] == ("min", True, False)
    assert "shorter than" not in directions().before  # generic words only: no field's words


LT, LE, GT, GE = operator.lt, operator.le, operator.gt, operator.ge
# What the words mean, written for the test: (phrase with {v}, the comparison a value x must pass against v)
YEAR_WORDS: list[tuple[str, Callable[[int, int], bool]]] = [
    ("before {v}", LT), ("from before {v}", LT), ("earlier than {v}", LT), ("older than {v}", LT),
    ("until {v}", LE), ("up to {v}", LE), ("{v} or earlier", LE), ("{v} or older", LE), ("{v} at the latest", LE),
    ("after {v}", GT), ("later than {v}", GT), ("newer than {v}", GT), ("since {v}", GE), ("{v} or later", GE),
    ("{v} and up", GE), ("from {v} on", GE), ("{v} onwards", GE), ("{v} or newer", GE), ("at least {v}", GE)]
CUES = [("", False), ("nothing", True), ("no movies", True), ("I don't want anything", True),
        ("never anything", True), ("please no films", True), ("steer clear of anything", True)]
PLACES = ["{x}", "{x}, a comedy please", "a comedy, {x}", "I want a mystery, but {x}", "{x}. Something funny"]
YEARS = [1962, 1980, 2000]


def _read(text: str, cat: Catalog) -> DialogueState:
    st = DialogueState(catalog=cat.name, as_of_year=2026)
    apply(understand(text, st, cat, None, llm_mode="never"), st)
    return st


def _admits(st: DialogueState, field: str, x: float) -> bool:
    c = st.constraints.get(field)
    return c is None or (c.min is None or x >= c.min) and (c.max is None or x <= c.max)


@pytest.mark.parametrize("words,cue,place", list(itertools.product(YEAR_WORDS, CUES, PLACES)))
def test_year_bounds_mean_what_they_say(words: tuple[str, Callable[[int, int], bool]], cue: tuple[str, bool],
                                        place: str, movies: Catalog) -> None:
    """Exactly the years the words allow (negated: exactly the others), every cue, word, order and place."""
    phrase, op = words
    for v in YEARS:
        said = f"{cue[0]} {phrase.format(v=v)}".strip()
        st = _read(place.format(x=said), movies)
        for x in range(1940, 2026):
            want = op(x, v) != cue[1]
            assert _admits(st, "year", x) is want, (place.format(x=said), x, st.constraints.get("year"))


DURATION_WORDS: list[tuple[str, str]] = [  # (phrase, side of the bound it makes); the number is kept
    ("under {v} minutes", "max"), ("less than {v} minutes", "max"), ("shorter than {v} minutes", "max"),
    ("at most {v} minutes", "max"), ("{v} minutes or less", "max"), ("{v} minutes tops", "max"),
    ("{v} minutes max", "max"), ("within {v} minutes", "max"), ("over {v} minutes", "min"),
    ("more than {v} minutes", "min"), ("longer than {v} minutes", "min"), ("at least {v} minutes", "min"),
    ("{v} minutes or more", "min"), ("{v} minutes or longer", "min"), ("{v} minutes plus", "min")]
SPOKEN = {90: "an hour and a half", 150: "two and a half hours", 120: "2 hours"}


@pytest.mark.parametrize("words,cue,place", list(itertools.product(DURATION_WORDS, CUES, PLACES)))
def test_duration_bounds_mean_what_they_say(words: tuple[str, str], cue: tuple[str, bool], place: str,
                                            movies: Catalog) -> None:
    phrase, side = words
    for v, spoken in SPOKEN.items():
        for number in (f"{v} minutes", spoken):
            said = f"{cue[0]} {phrase.format(v=v).replace(f'{v} minutes', number)}".strip()
            c = _read(place.format(x=said), movies).constraints.get("runtime_minutes")
            want = {"min": "max", "max": "min"}[side] if cue[1] else side
            assert c is not None and getattr(c, want) == v and getattr(c, "min" if want == "max" else "max") is None, \
                (place.format(x=said), c)


PRICE_WORDS = [("under ${v}", "max"), ("less than {v} dollars", "max"), ("cheaper than ${v}", "max"),
               ("{v} bucks or less", "max"), ("over ${v}", "min"), ("more expensive than {v} dollars", "min"),
               ("at least ${v}", "min"), ("${v} or more", "min")]


@pytest.mark.parametrize("words,cue", list(itertools.product(PRICE_WORDS, CUES[:4])))
def test_price_bounds_on_a_catalog_of_products(words: tuple[str, str], cue: tuple[str, bool],
                                               products: Catalog) -> None:
    phrase, side = words
    said = f"{cue[0].replace('movies', 'gifts').replace('films', 'gifts')} {phrase.format(v=40)}".strip()
    c = _read(f"something for camping, {said}", products).constraints.get("price_usd")
    want = {"min": "max", "max": "min"}[side] if cue[1] else side
    assert c is not None and getattr(c, want) == 40, (said, c)


@pytest.mark.parametrize("text,lo,hi", [
    ("I want a mystery, but nothing from before 1980 and nothing over two and a half hours.", 1980, None),
    ("Something romantic, but not a musical, made in 2000 or later.", 2000, None),
    ("Spielberg, but nothing before 1990", 1990, None), ("nothing after the 80s", None, 1989),
    ("nothing before the 90s", 1990, None), ("the 90s or later", 1990, None),
    ("not from the last 10 years", None, 2015),
    ("no horror from 1990 on", 1990, None),  # the years qualify the genre: not turned round
    ("anything before 1980 is out", 1980, None), ("movies from 1980 or earlier? no thanks", 1981, None)])
def test_the_issue_and_its_siblings_on_years(text: str, lo: int | None, hi: int | None, movies: Catalog) -> None:
    c = _read(text, movies).constraints["year"]
    assert (c.min, c.max) == (lo, hi)


@pytest.mark.parametrize("text,included", [
    ("PG-13 or lower", ["G", "PG", "PG-13"]), ("nothing above PG-13", ["G", "PG", "PG-13"]),
    ("no higher than PG", ["G", "PG"]), ("at least PG-13", ["PG-13", "R", "NC-17"]),
    ("nothing below PG-13", ["PG-13", "R", "NC-17"]), ("under PG-13", ["G", "PG"])])
def test_an_ordered_vocabulary_uses_the_same_words_and_flip(text: str, included: list[str], movies: Catalog) -> None:
    assert sorted(_read(text, movies).constraints["age_rating"].include) == sorted(included)


def test_a_comparison_with_an_item_turns_round_too(movies: Catalog) -> None:
    alien = movies.by_id[movies.find_title("Alien")]
    assert _read("older than Alien", movies).constraints["year"].max == alien["year"] - 1
    assert _read("nothing older than Alien", movies).constraints["year"].min == alien["year"]
