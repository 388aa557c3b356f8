"""Other languages (read/language.py): French, Spanish and German are read through a word table per language (the
reader's everyday words) and the catalog's own words in its manifest (`languages`); a language recognised but not
read gets a notice. Word tables, not translation: the same negation scope and bound algebra then read them."""
from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.catalog.manifest import Manifest
from chatrec.dialogue.state import DialogueState
from chatrec.read.language import detect, read_language, read_languages
from chatrec.read.understand import apply, understand
from chatrec.settings import Settings

BOARDGAMES = Path(__file__).parents[1] / "data" / "boardgames"


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.load("movies", Settings())


@pytest.fixture(scope="module")
def products() -> Catalog:
    return Catalog.load("products", Settings())


@pytest.fixture(scope="module")
def games() -> Catalog:
    return Catalog.load(BOARDGAMES, Settings())


def change(text: str, cat: Catalog) -> tuple[dict, str, list[str]]:
    st = DialogueState(catalog=cat.name, as_of_year=2026)
    u = understand(text, st, cat, None, llm_mode="never")
    apply(u, st)
    out = st.model_dump(exclude={"turns", "catalog", "as_of_year", "last_recommended", "focus_item"},
                        exclude_defaults=True)
    for c in out.get("constraints", {}).values():
        for k, v in list(c.items()):
            if v in (None, []):
                del c[k]
    return out, u.language, u.notes


def test_the_languages_read_are_said() -> None:
    assert read_languages() == ["English", "French", "German", "Spanish"]


@pytest.mark.parametrize("text,code", [
    ("Je voudrais une comédie", "fr"), ("Quiero una comedia", "es"), ("Ich möchte eine Komödie", "de"),
    ("Vorrei una commedia, grazie", "it"), ("a comedy please", "en"), ("I loved Amélie, something French", "en"),
    ("no horror, under 2 hours", "en"), ("comédie", "fr")])
def test_which_language(text: str, code: str, movies: Catalog) -> None:
    assert detect(text, movies) == code


@pytest.mark.parametrize("text,expected", [
    ("Je voudrais une comédie, pas plus de 100 minutes.",
     {"liked_attributes": {"genres": ["Comedy"]}, "constraints": {"runtime_minutes": {"max": 100.0}}}),
    ("je n'aime pas les films d'horreur", {"constraints": {"genres": {"exclude": ["Horror"]}}}),
    ("un polar, rien avant 1980 et pas plus de deux heures",
     {"liked_attributes": {"genres": ["Crime"]}, "constraints": {"year": {"min": 1980.0},
                                                                "runtime_minutes": {"max": 120.0}}}),
    ("Quiero una comedia de no más de 100 minutos",
     {"liked_attributes": {"genres": ["Comedy"]}, "constraints": {"runtime_minutes": {"max": 100.0}}}),
    ("nada de terror, una película de 2000 en adelante",
     {"constraints": {"genres": {"exclude": ["Horror"]}, "year": {"min": 2000.0}}}),
    ("Ich möchte eine Komödie, nicht länger als 90 Minuten",
     {"liked_attributes": {"genres": ["Comedy"]}, "constraints": {"runtime_minutes": {"max": 90.0}}}),
    ("keine Horrorfilme, nichts vor 1980",
     {"constraints": {"genres": {"exclude": ["Horror"]}, "year": {"min": 1980.0}}}),
    ("bitte keine Kinderfilme", {"constraints": {"genres": {"exclude": ["Family"]}}}),  # a compound, split
])
def test_french_spanish_and_german_read_like_english(text: str, expected: dict, movies: Catalog) -> None:
    got, lang, notes = change(text, movies)
    assert got == expected and lang != "en" and not notes, (got, notes)


def test_other_catalogs_have_their_words_too(products: Catalog, games: Catalog) -> None:
    assert change("un cadeau pour le vélo, moins de 50 dollars", products)[0] == {
        "liked_attributes": {"genres": ["Cycling"]}, "constraints": {"price_usd": {"max": 50.0}}}
    assert change("ein kooperatives Spiel, höchstens 30 Minuten", games)[0]["constraints"] == {
        "play_minutes": {"max": 30.0}}


def test_a_language_not_read_gets_a_notice(movies: Catalog) -> None:
    got, lang, notes = change("Vorrei una commedia, non più di 100 minuti", movies)
    assert lang == "it" and got == {} and len(notes) == 1 and "Italian" in notes[0] and "French" in notes[0]


def test_titles_stay_as_written(movies: Catalog) -> None:
    """A title is no word to look up: 'Le' stays in a title read from French."""
    title = movies.title(movies.items[0])
    text = f"j'ai vu {title}, quelque chose de plus récent"
    reading = read_language(text, movies, [(text.index(title), text.index(title) + len(title))])
    assert title in reading.text and "something" in reading.text


def test_manifest_language_words_must_be_words_of_their_field() -> None:
    m = Manifest.model_validate_json((BOARDGAMES / "manifest.json").read_text())
    bad = m.model_dump()
    bad["languages"]["fr"]["fields"]["weight"] = {"lourd": "Gigantic"}
    with pytest.raises(ValueError, match="not words of the field"):
        Manifest.model_validate(bad)
