"""Two rules about what a negation reaches, tried over every cue, value, joiner and catalog:

- lists: one cue before a bare list joined by 'or', 'and' or 'nor' rules out every item ('no horror, comedy or
  drama'); a clause of its own breaks it (a verb, a wish, 'please', a subject: 'no horror, comedy is fine'), and so
  does a list with no joining word ('no horror, comedy');
- vague degrees ('nothing too long'): the manifest's phrase where it has one ('not too long'), a field word's own
  meaning turned round once ('nothing too recent'), else no limit and a note; never the opposite bound.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.read.degree import stems
from chatrec.read.understand import apply, understand
from chatrec.settings import Settings

BOARDGAMES = Path(__file__).parents[1] / "data" / "boardgames"


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.load("movies", Settings())


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    return {"movies": Catalog.load("movies", Settings()), "products": Catalog.load("products", Settings()),
            "boardgames": Catalog.load(BOARDGAMES, Settings())}


def state_after(text: str, cat: Catalog) -> tuple[DialogueState, list[str]]:
    st = DialogueState(catalog=cat.name, as_of_year=2026)
    u = understand(text, st, cat, None, llm_mode="never")
    apply(u, st)
    return st, u.notes


def genres(text: str, cat: Catalog) -> tuple[list[str], list[str]]:
    st, _ = state_after(text, cat)
    got = st.constraints.get("genres")
    return (got.exclude if got else []), st.liked_attributes.genres


CUES = ["no", "not", "nothing with", "I don't want", "I can't stand", "never", "avoid", "I'm sick of", "without"]
WORDS = [("horror", "Horror"), ("westerns", "Western"), ("comedy", "Comedy"), ("musicals", "Music"),
         ("documentaries", "Documentary"), ("war films", "War")]
TRIPLES = list(itertools.permutations(WORDS, 3))[::7]


@pytest.mark.parametrize("cue,joiner", list(itertools.product(CUES, ["or", "and", "nor", ", or", ", and"])))
def test_a_joined_list_after_one_cue_is_all_ruled_out(cue: str, joiner: str, movies: Catalog) -> None:
    for (a, av), (b, bv), (c, cv) in TRIPLES:
        text = f"{cue} {a}, {b}{'' if joiner.startswith(',') else ' '}{joiner} {c}"
        excluded, wanted = genres(text, movies)
        assert {av, bv, cv} <= set(excluded) and not {av, bv, cv} & set(wanted), (text, excluded, wanted)


BREAKS = ["{b} is fine", "{b} and {c} are fine", "{b} please", "I want {b}", "{b} would be great", "but {b} yes",
          "{b} sounds good", "I'd love {b}", "{b} ok", "something with {b}", "{b}", "{b} and {c} welcome",
          "{b} or {c} fine"]


@pytest.mark.parametrize("cue,rest", list(itertools.product(CUES, BREAKS)))
def test_a_clause_of_its_own_breaks_the_list(cue: str, rest: str, movies: Catalog) -> None:
    for (a, av), (b, bv), (c, cv) in TRIPLES:
        text = f"{cue} {a}, {rest.format(b=b, c=c)}"
        excluded, _ = genres(text, movies)
        assert av in excluded and bv not in excluded, (text, excluded)
        if "{c}" in rest:
            assert cv not in excluded, (text, excluded)


DEGREE_CUES = ["nothing {d} {adj}", "not {d} {adj}", "I don't want anything {d} {adj}", "none {d} {adj} please",
               "it shouldn't be {d} {adj}", "nothing that's {d} {adj}", "a comedy, but nothing {d} {adj}"]
DEGREES = ["too", "overly", "very", "way too", "excessively"]


def _adjectives(cat: Catalog) -> list[tuple[str, str]]:
    """(field, adjective) for every range field: its comparatives' plain forms and its one-word phrases."""
    out = []
    for name, spec in cat.manifest.filterable().items():
        if spec.filter == "range":
            words = stems(spec.comparatives) | {p for p in spec.phrases if " " not in p and "-" not in p}
            out += [(name, w) for w in sorted(words)]
    return out


@pytest.mark.parametrize("which", ["movies", "products", "boardgames"])
def test_a_vague_negated_degree_is_never_turned_into_its_opposite(which: str, catalogs: dict[str, Catalog]) -> None:
    """For every field word, degree word and cue: the manifest's 'not too X' where it has one; X's own meaning
    turned round once where X has one; else no limit on the field and a note. Never the bound X itself sets."""
    cat = catalogs[which]
    fields = cat.manifest.filterable()
    checked = 0
    for (name, adj), d, cue in itertools.product(_adjectives(cat), DEGREES, DEGREE_CUES):
        text = cue.format(d=d, adj=adj)
        st, notes = state_after(text, cat)
        got = st.constraints.get(name)
        spec = fields[name]
        phrase = next((spec.phrases[k] for k in (f"not {d} {adj}", f"not too {adj}", f"not very {adj}")
                       if k in spec.phrases), None)
        own = spec.phrases.get(adj)
        if phrase is not None:  # the manifest's meaning, as it says
            assert got is not None and (got.max == phrase.max if phrase.max is not None else got.min == phrase.min), \
                (text, got)
        elif own is not None:  # a field word's own one-sided meaning, turned round: never its own side
            positive_max = own.max is not None or own.until_years_ago is not None
            if got is not None:
                assert (got.max is None) if positive_max else (got.min is None), (text, got)
        else:  # no meaning: no limit, and a note that names the field
            assert got is None or got.is_empty(), (text, got)
            assert any(adj in n and "limit" in n for n in notes), (text, notes)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("text,field,bound", [
    ("nothing too long", "runtime_minutes", ("max", 120)), ("a comedy, nothing too long", "runtime_minutes",
                                                            ("max", 120)),
    ("I don't want anything overly long", "runtime_minutes", ("max", 120)),
    ("nothing very long please", "runtime_minutes", ("max", 120)),
    ("Je voudrais une comédie, pas trop longue.", "runtime_minutes", ("max", 120)),
    ("Ich will eine Komödie, nichts zu Langes", "runtime_minutes", ("max", 120))])
def test_the_manifest_phrase_for_a_vague_degree(text: str, field: str, bound: tuple[str, int],
                                                movies: Catalog) -> None:
    st, _ = state_after(text, movies)
    assert getattr(st.constraints[field], bound[0]) == bound[1]
    assert "Jessica Lange" not in st.disliked_attributes.people
