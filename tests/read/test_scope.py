"""How far a negation reaches (read/scope.py): a cue negates its whole clause whatever words sit between, a
following cue negates back, pseudo-negations never negate, exceptions turn a clause round, and a clause ends at a
turn, a new wish, a full stop or a comma that does not go on with a list. The cues are data: negspacy's NegEx
trigger sets (copied with their source and licence) plus chat idioms."""
from __future__ import annotations

import itertools

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.read.reader import governs, negated
from chatrec.read.scope import cue_words, cues, polarity
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.load("movies", Settings())


def test_the_cue_words_are_data_with_their_source_and_licence() -> None:
    d = cue_words()
    assert "negspacy" in d["source"] and "MIT" in d["licence"]
    ns = d["negspacy_en"]  # the published NegEx sets, verbatim
    assert {"no", "not", "without", "never", "don't"} <= set(ns["preceding_negations"])
    assert {"not only", "no further", "not necessarily"} <= set(ns["pseudo_negations"])
    assert {"but", "however", "though", "yet"} <= set(ns["termination"]) and "wasn't" in ns["following_negations"]
    table = cues().table
    assert table[("can't", "stand")] == "pre" and table[("steer", "clear", "of")] == "pre"
    assert table[("not", "only")] == "pseudo" and table[("is", "out")] == "post" and table[("except",)] == "except"
    assert table[("wasn't",)] == "both"  # negspacy lists it both ways


def _neg(text: str, word: str, movies: Catalog, nth: int = 0) -> bool:
    low = text.lower()
    at = -1
    for _ in range(nth + 1):
        at = low.index(word, at + 1)
    return negated(low, at, movies.lexicon)


@pytest.mark.parametrize("text,word,expected", [
    # the sentences and siblings: the scope is the clause, whatever sits between
    ("I never want to see horror films.", "horror", True),
    ("I never ever want to watch any kind of horror", "horror", True),
    ("not really, comedy is fine", "comedy", False),
    ("No violence-heavy genres like war or horror.", "war", True),
    ("No violence-heavy genres like war or horror.", "horror", True),
    ("nothing too long, a comedy", "comedy", False),
    ("I want a mystery, but nothing from before 1980", "mystery", False),
    ("Something romantic, but not a musical, made in 2000 or later.", "musical", True),
    ("Something romantic, but not a musical, made in 2000 or later.", "2000", False),
    ("Something romantic, but not a musical, made in 2000 or later.", "romantic", False),
    # a clause ends at a turn, a new wish, a full stop; a list goes on past a comma
    ("I can't stand horror but love comedy", "comedy", False),
    ("I hate musicals and love comedy", "comedy", False),
    ("I don't like westerns and I want something recent", "recent", False),
    ("no horror and something funny", "funny", False),
    ("no horror. A comedy", "comedy", False),
    ("no horror, comedy please", "comedy", False),
    ("no horror, westerns or musicals", "musicals", True),
    ("neither horror nor thrillers", "thrillers", True),
    ("no horror, no westerns", "westerns", True),
    # following cues negate back; a cue that names nothing refers back to what its sentence named
    ("horror is out", "horror", True), ("I love comedy and horror is out", "comedy", False),
    ("westerns, no thanks", "westerns", True), ("westerns are not my thing", "westerns", True),
    ("Spanish movies, I can't stand them", "spanish", True), ("horror? spare me", "horror", True),
    ("Biking gear: never", "biking", True), ("If there's one thing I can't stand, it's musicals", "musicals", True),
    ("Musicals? I'll pass", "musicals", True), ("gangster films? that doesn't work for me", "gangster", True),
    # exceptions turn the clause round
    ("no horror except Alien", "alien", False), ("everything except horror", "horror", True),
    ("any genre other than westerns", "westerns", True),
    # pseudo-negations never negate
    ("I don't know, maybe a comedy", "comedy", False), ("not only comedies but dramas too", "comedies", False),
    ("I don't mind horror", "horror", False), ("I can't wait to see a western", "western", False),
    ("Without further ado: action flicks, please", "action", False), ("Horror never gets old", "horror", False),
    ("I'd never say no to a thriller", "thriller", False), ("isn't there anything with Tom Hanks?", "tom", False),
    ("a comedy, nothing else", "comedy", False), ("There's nothing like a good western", "western", False),
    # phrases of the catalog that start with a cue are read whole
    ("no subtitles and Tom Hanks", "tom", False), ("not too long, with Tom Hanks", "tom", False),
])
def test_what_a_negation_reaches(text: str, word: str, expected: bool, movies: Catalog) -> None:
    assert _neg(text, word, movies) is expected


CUES = ["no", "not", "never", "without", "I don't want", "I can't stand", "steer clear of", "spare me", "nothing",
        "I'm sick of", "avoid", "anything but", "I never want to see"]
BETWEEN = ["", "any", "really any", "those long, dark", "any of the famous old", "anything that is even a bit like"]


@pytest.mark.parametrize("cue,between", list(itertools.product(CUES, BETWEEN)))
def test_whatever_words_sit_between(cue: str, between: str, movies: Catalog) -> None:
    """Every cue x every stretch of words before the value: the value is negated; after a turn it is not."""
    text = f"{cue} {between} westerns".replace("  ", " ")
    assert _neg(text, "westerns", movies), text
    assert not _neg(f"{text} but comedies", "comedies", movies)
    assert not _neg(f"a comedy, {text}", "comedy", movies)


def test_a_negation_governs_a_bound_unless_a_value_takes_it(movies: Catalog) -> None:
    """'no horror from 1990 on': the years qualify horror (wanted); 'nothing scary or before 1990': a list."""
    lex = movies.lexicon
    for text, expected in [("nothing from before 1980", True), ("no movies over 120 minutes", True),
                           ("no horror from 1990 on", False), ("nothing scary or before 1990", True),
                           ("a comedy, before 1990", False), ("anything before 1980 is out", True)]:
        at = next(i for i, ch in enumerate(text) if ch.isdigit())
        assert governs(text, at, lex) is expected, text


def test_scopes_are_computed_once_per_text() -> None:
    polarity.cache_clear()
    polarity("no horror")
    polarity("no horror")
    assert polarity.cache_info().hits == 1


@pytest.mark.parametrize("text,excluded,wanted", [
    ("a horror-free comedy", ["Horror"], ["Comedy"]), ("a non-horror thriller", ["Horror"], ["Thriller"]),
    ("a French-language comedy", [], ["Comedy"]), ("any genre but horror", ["Horror"], []),
    ("I'll watch anything but I want it short", [], [])])
def test_words_inside_words_and_exceptions(text: str, excluded: list[str], wanted: list[str], movies: Catalog) -> None:
    from chatrec.dialogue.state import DialogueState
    from chatrec.read.understand import apply, understand

    st = DialogueState(catalog="movies")
    apply(understand(text, st, movies, None, llm_mode="never"), st)
    got = st.constraints.get("genres")
    assert (got.exclude if got else []) == excluded and st.liked_attributes.genres == wanted
