"""Follow-ups from diffing the reader's readings of ReDial's tuning-half seekers before and after the redesign (the
sentences here are written for these tests, never taken from the data set):

- contractions typed without the apostrophe are the same cue ("cant wait", "dont mind", "cant stand");
- an interjection or an ordinary word after a weak word ('Wow, ...', 'for some reason', 'more mature') is no surname;
- a title written only inside a person's full name is no title (the person is read instead).
"""
from __future__ import annotations

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.read.people import _words, find_people
from chatrec.read.scope import cues
from chatrec.read.understand import apply, understand
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.load("movies", Settings())


def _genres(text: str, cat: Catalog) -> tuple[list[str], list[str]]:
    st = DialogueState(catalog=cat.name, as_of_year=2026)
    apply(understand(text, st, cat, None, llm_mode="never"), st)
    g = st.constraints.get("genres")
    return (list(g.include) if g else []) + list(st.liked_attributes.genres), list(g.exclude) if g else []


@pytest.mark.parametrize("typed,written", [("cant wait", "can't wait"), ("dont mind", "don't mind"),
                                           ("cant stand", "can't stand"), ("cant go wrong with", "can't go wrong with"),
                                           ("wouldnt mind", "wouldn't mind"), ("cant stop", "can't stop")])
def test_cue_without_apostrophe_is_the_cue(typed: str, written: str) -> None:
    table = cues().table
    assert table[tuple(typed.split())] == table[tuple(written.split())]


@pytest.mark.parametrize("text", ["I cant wait to see a new western", "cant go wrong with a western",
                                  "i dont mind a western", "I cant stop watching westerns"])
def test_positive_idiom_without_apostrophe_refuses_nothing(text: str, movies: Catalog) -> None:
    assert "Western" not in _genres(text, movies)[1]


@pytest.mark.parametrize("text", ["i cant stand westerns", "I dont want a western", "dont show me westerns"])
def test_negation_without_apostrophe_still_refuses(text: str, movies: Catalog) -> None:
    assert "Western" in _genres(text, movies)[1]


@pytest.mark.parametrize("text", ["Wow, so many good ones", "Wow I will watch both", "Hey, thanks a lot",
                                  "For some reason I like sports films", "something a bit more mature please",
                                  "Goood, thanks", "kinda funny how silly it is"])
def test_interjections_and_ordinary_words_are_no_surname(text: str, movies: Catalog) -> None:
    assert find_people(text, movies).found == []


def test_interjections_are_data() -> None:
    w = _words()
    assert "wow" in w["interjections"] and "some" in w["before_weak"] and "by" in w["before"]
