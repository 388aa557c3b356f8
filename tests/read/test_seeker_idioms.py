"""How seekers turn things down (and what only looks like it), from reading 128 real ReDial seekers' messages with
a negation and a catalog word (read/words/negation_en.json 'chat_sources'). The sentences here are written for these
tests, never taken from the data set; each mechanism is tried with several cues and values:

- words inside a cue ("I don't really care for", "not all that into"): still the cue;
- having seen is not wanting ("I haven't seen a western in years", "I don't think I've ever watched a mystery"):
  neither a wish nor a refusal; 'not enough horror' asks for more of it;
- need not ("it doesn't have to be animated"): neither;
- negation raising ("I don't think I'd enjoy a western"): a refusal;
- excess for someone ('too gory for my kids'): a refusal;
- a question about an item ('is it a western?'): asks, does not wish; a refusal beside it wins.
"""
from __future__ import annotations

import itertools

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.read.understand import apply, understand
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.load("movies", Settings())


def genres(text: str, cat: Catalog) -> tuple[list[str], list[str]]:
    st = DialogueState(catalog=cat.name, as_of_year=2026)
    apply(understand(text, st, cat, None, llm_mode="never"), st)
    got = st.constraints.get("genres")
    return (got.exclude if got else []), st.liked_attributes.genres


VALUES = [("horror movies", "Horror"), ("westerns", "Western"), ("musicals", "Music"), ("war films", "War"),
          ("documentaries", "Documentary"), ("romantic comedies", "Romance")]

REFUSALS = [  # inner words, raising, excess, post-posed
    "I don't really care for {x}", "I do not really care for {x}", "I'm not all that into {x}",
    "I'm not really that into {x}", "I can't really stand {x}", "I'm honestly not a fan of {x}",
    "I don't think I'd enjoy {x}", "I don't believe I would like {x}", "I don't think I like {x} much",
    "{x} are way too much for me", "honestly {x} are not my thing", "{x}? I don't really care for them",
]
NEITHER = [  # experience and need-not: no refusal, and no wish either
    "I haven't seen any {x} lately", "I have not watched {x} in years", "I've never really seen {x}",
    "I don't think I've ever watched {x}", "it doesn't have to be {x}", "they don't need to be {x}",
    "I did not see those {x}", "even if you don't like {x}, this one is good",
]
NOT_A_REFUSAL = [  # looks like one, is none: the value may be a wish
    "I don't really mind {x}", "there were not enough {x} this year", "don't worry, I like {x}",
    "I can't find good {x} anywhere", "I'd never say no to {x}",
]


@pytest.mark.parametrize("template,value", list(itertools.product(REFUSALS, VALUES)))
def test_refusals(template: str, value: tuple[str, str], movies: Catalog) -> None:
    text = template.format(x=value[0])
    excluded, wanted = genres(text, movies)
    assert value[1] in excluded and value[1] not in wanted, (text, excluded, wanted)


@pytest.mark.parametrize("template,value", list(itertools.product(NEITHER, VALUES)))
def test_neither_wished_nor_refused(template: str, value: tuple[str, str], movies: Catalog) -> None:
    text = template.format(x=value[0])
    excluded, wanted = genres(text, movies)
    assert value[1] not in excluded and value[1] not in wanted, (text, excluded, wanted)


@pytest.mark.parametrize("template,value", list(itertools.product(NOT_A_REFUSAL, VALUES)))
def test_looks_like_a_refusal_and_is_none(template: str, value: tuple[str, str], movies: Catalog) -> None:
    text = template.format(x=value[0])
    excluded, _ = genres(text, movies)
    assert value[1] not in excluded, (text, excluded)


@pytest.mark.parametrize("adj,value", [("scary", "Horror"), ("gory", "Horror"), ("violent", None),
                                       ("romantic", "Romance"), ("funny", "Comedy")])
@pytest.mark.parametrize("frame", ["it is too {a} for my kids", "that one was way too {a} for me",
                                   "a bit too {a} for us", "too {a} for the kids, sorry"])
def test_too_much_for_someone(frame: str, adj: str, value: str | None, movies: Catalog) -> None:
    text = frame.format(a=adj)
    excluded, wanted = genres(text, movies)
    if value:
        assert value in excluded and value not in wanted, (text, excluded, wanted)


@pytest.mark.parametrize("ask", ["Is it a {x}?", "is that a {x}?", "Are those {x}s?", "No, is it a {x}?"])
@pytest.mark.parametrize("x,value", [("western", "Western"), ("horror movie", "Horror"), ("musical", "Music"),
                                     ("documentary", "Documentary")])
def test_a_question_about_an_item_is_no_wish(ask: str, x: str, value: str, movies: Catalog) -> None:
    excluded, wanted = genres(ask.format(x=x), movies)
    assert value not in wanted and value not in excluded
    excluded, wanted = genres(ask.format(x=x) + f" I don't really care for {x}s.", movies)
    assert value in excluded and value not in wanted  # the refusal beside the question wins


def test_a_turn_word_ends_a_refusal(movies: Catalog) -> None:
    excluded, wanted = genres("I wouldn't call it horror unless you mean old school horror", movies)
    st = DialogueState(catalog="movies", as_of_year=2026)
    apply(understand("I wouldn't pick a western unless it is old school", st, movies, None, llm_mode="never"), st)
    year = st.constraints.get("year")
    assert year is None or year.min is None  # 'old school' after 'unless' is never turned round into 'recent'


def test_seen_and_not_seen_titles_stay_apart(movies: Catalog) -> None:
    """'I haven't seen Heat' says nothing about Heat; 'I have seen Heat' marks it seen."""
    for text, owned in [("I haven't seen Heat", False), ("I have not actually seen Heat", False),
                        ("can't say I have seen Heat", False), ("I have seen Heat", True)]:
        st = DialogueState(catalog="movies", as_of_year=2026)
        apply(understand(text, st, movies, None, llm_mode="never"), st)
        assert ("heat-1995" in st.owned_items) is owned and "heat-1995" not in st.liked_items, text


MORE_REFUSALS = [  # following cues and aversions added from the same reading, tried on every catalog's values
    "{x} just doesn't do it for me", "me and {x} don't mix", "{x} and I don't get along", "nope on {x}",
    "I steer away from {x}", "I shy away from {x}", "I'm kind of over {x}", "{x} isn't my kind of thing",
    "{x} makes me uneasy", "I get scared by {x}", "I have zero interest in {x}", "{x}, not so much",
    "{x} ruled out", "leave {x} out", "keep the {x} away", "no comedies; {x} are not allowed",
]
PREFERENCES = [  # what a preference is preferred to is ruled out; the preferred one is not
    "I'd rather {y} than {x}", "rather {y} than {x}", "I prefer {y} to {x}", "I'd prefer {y} over {x}",
    "I'd prefer a {y} to a {x}",
]
NOT_PREFERENCES = ["I prefer to watch {y}", "I prefer {y} to be short", "I'd rather see {y} from 1990 to 2000",
                   "I prefer {y} over 2 hours"]
ACROSS = [("movies", "westerns", "genres", "Western"), ("movies", "documentaries", "genres", "Documentary"),
          ("products", "fishing gear", "category", "Fishing"), ("boardgames", "deck builders", "mechanics",
                                                                "Deck Building"),
          ("boardgames", "co-op games", "mechanics", "Cooperative")]


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    from pathlib import Path
    return {"movies": Catalog.load("movies", Settings()), "products": Catalog.load("products", Settings()),
            "boardgames": Catalog.load(Path(__file__).parents[1] / "data" / "boardgames", Settings())}


def _field(text: str, cat: Catalog, name: str) -> tuple[list[str], list[str]]:
    st = DialogueState(catalog=cat.name, as_of_year=2026)
    apply(understand(text, st, cat, None, llm_mode="never"), st)
    got = st.constraints.get(name)
    return (got.exclude if got else []), st.liked_attributes.genres


@pytest.mark.parametrize("template", MORE_REFUSALS)
def test_more_refusals_on_every_catalog(template: str, catalogs: dict[str, Catalog]) -> None:
    for which, said, name, value in ACROSS:
        text = template.format(x=said)
        excluded, wanted = _field(text, catalogs[which], name)
        assert value in excluded and value not in wanted, (text, excluded, wanted)


@pytest.mark.parametrize("template", PREFERENCES)
@pytest.mark.parametrize("x,xv,y,yv", [("horror", "Horror", "comedy", "Comedy"),
                                       ("western", "Western", "documentary", "Documentary"),
                                       ("musical", "Music", "drama", "Drama")])
def test_what_a_preference_is_preferred_to(template: str, x: str, xv: str, y: str, yv: str, movies: Catalog) -> None:
    text = template.format(x=x, y=y)
    excluded, wanted = genres(text, movies)
    assert xv in excluded and yv not in excluded and yv in wanted, (text, excluded, wanted)


@pytest.mark.parametrize("template", NOT_PREFERENCES)
@pytest.mark.parametrize("y,yv", [("comedies", "Comedy"), ("westerns", "Western"), ("funny movies", "Comedy")])
def test_a_preference_with_nothing_it_is_preferred_to(template: str, y: str, yv: str, movies: Catalog) -> None:
    excluded, _ = genres(template.format(y=y), movies)
    assert yv not in excluded, template.format(y=y)
