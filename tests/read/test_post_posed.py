"""Negation after what it rules out, in the languages the reader reads: German puts 'nicht' at the end of the clause
('Horrorfilme mag ich nicht'), French and Spanish put the thing first and the refusal after ("les polars, je n'aime
pas", 'el terror no me gusta', 'Horror? Nein danke'). One mechanism (read/scope.py: a cue whose clause names nothing
after it refers back, through its own verb), so every pattern is tried with every value, with a wish beside it, and
short messages whose language one word tells are never read as a wish. Sentences written for these tests."""
from __future__ import annotations

import itertools

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.read.language import detect
from chatrec.read.understand import apply, understand
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.load("movies", Settings())


def read(text: str, cat: Catalog) -> tuple[list[str], list[str], str, list[str]]:
    """(excluded genres, wanted genres, language, notes)."""
    st = DialogueState(catalog=cat.name, as_of_year=2026)
    u = understand(text, st, cat, None, llm_mode="never")
    apply(u, st)
    got = st.constraints.get("genres")
    return (got.exclude if got else []), st.liked_attributes.genres, u.language, u.notes


VALUES = {
    "de": [("Horrorfilme", "Horror"), ("Krimis", "Crime"), ("Kriegsfilme", "War"), ("Dokus", "Documentary"),
           ("Liebesfilme", "Romance"), ("Komödien", "Comedy")],
    "fr": [("les films d'horreur", "Horror"), ("les polars", "Crime"), ("les comédies", "Comedy"),
           ("les documentaires", "Documentary"), ("les drames", "Drama")],
    "es": [("el terror", "Horror"), ("la comedia", "Comedy"), ("la animación", "Animation"),
           ("el documental", "Documentary"), ("la ciencia ficción", "Science Fiction")],
}
AFTER = {  # the refusal after the thing it refuses
    "de": ["{x} mag ich nicht", "{x} mag ich gar nicht", "{x} mag ich überhaupt nicht", "{x} will ich nicht sehen",
           "{x} sehe ich nicht gern", "{x} schaue ich nicht gern", "{x} finde ich langweilig", "{x}? Nein danke",
           "{x}, nein danke", "{x} sind nicht mein Ding", "{x}? Lieber nicht", "{x} bitte nicht"],
    "fr": ["{x}, je n'aime pas", "{x}, je n'aime pas du tout", "{x}, je ne les aime pas", "{x}, très peu pour moi",
           "{x}? Non merci", "{x}, c'est pas mon truc", "{x}, je déteste", "{x}, non", "{x}, sans moi"],
    "es": ["{x} no me gusta", "{x} no me gusta nada", "{x}, no gracias", "{x}? No gracias", "{x} no es lo mío",
           "{x} no me va", "{x}, para nada", "{x} no, gracias"],
}
WITH_WISH = {  # a wish beside it keeps its polarity
    "de": ["Ich mag {y}, aber {x} mag ich nicht", "{x} mag ich nicht, lieber {y}", "{y} ja, {x} nein"],
    "fr": ["J'aime {y}, mais {x}, je n'aime pas", "{y} oui, {x} non", "Je voudrais {y}; {x}, non merci"],
    "es": ["Me gusta {y}, pero {x} no me gusta", "{y} sí, {x} no", "Quiero {y}; {x}, no gracias"],
}


def _cases(table: dict[str, list[str]]) -> list[tuple[str, str, str, str]]:
    return [(code, t, x, v) for code, ts in table.items() for t in ts for x, v in VALUES[code]]


@pytest.mark.parametrize("code,template,said,value", _cases(AFTER))
def test_a_refusal_after_what_it_refuses(code: str, template: str, said: str, value: str, movies: Catalog) -> None:
    text = template.format(x=said)
    if text[0].islower():
        text = text[0].upper() + text[1:]
    excluded, wanted, lang, _ = read(text, movies)
    assert lang == code, text
    assert value in excluded and value not in wanted, (text, excluded, wanted)


@pytest.mark.parametrize("code,template", [(c, t) for c, ts in WITH_WISH.items() for t in ts])
def test_a_wish_beside_it_stays_a_wish(code: str, template: str, movies: Catalog) -> None:
    pairs = list(itertools.permutations(VALUES[code], 2))[:6]
    for (x, xv), (y, yv) in pairs:
        text = template.format(x=x, y=y)
        excluded, wanted, lang, _ = read(text, movies)
        assert lang == code, text
        assert xv in excluded and xv not in wanted, (text, excluded, wanted)
        assert yv not in excluded, (text, excluded, wanted)


@pytest.mark.parametrize("text,code,value", [
    # one word tells the language and a word both share ('no') tells neither: the refusal is read, never a wish
    ("Horror? No gracias", "es", "Horror"), ("Western? No gracias", "es", "Western"), ("Terror no", "es", "Horror"),
    ("Comedia no", "es", "Comedy"), ("Horror? Nein danke", "de", "Horror"), ("Western? Nein", "de", "Western"),
    ("Horreur? Non merci", "fr", "Horror"), ("Western? Non merci", "fr", "Western")])
def test_short_messages_in_another_language(text: str, code: str, value: str, movies: Catalog) -> None:
    excluded, wanted, lang, _ = read(text, movies)
    assert lang == code and value in excluded and value not in wanted, (text, lang, excluded, wanted)


@pytest.mark.parametrize("text,code", [
    ("western non", "it"), ("niente horror, grazie", "it"), ("Non voglio film horror", "it"),
    ("horror niet", "nl"), ("geen westerns alsjeblieft", "nl"), ("não quero westerns, obrigado", "pt")])
def test_a_language_recognised_but_not_read_still_refuses(text: str, code: str, movies: Catalog) -> None:
    """Italian, Dutch, Portuguese are recognised, not read (a notice says so); their words of refusal are read, so
    what they refuse is never taken as a wish."""
    excluded, wanted, lang, notes = read(text, movies)
    assert lang == code and notes, (text, lang)
    assert excluded and not wanted, (text, excluded, wanted)


@pytest.mark.parametrize("text", ["no, gracias, I want a comedy", "I loved Amélie, something French",
                                  "no horror please", "horror no", "a comedy please"])
def test_english_stays_english(text: str, movies: Catalog) -> None:
    assert detect(text, movies) == "en"


OTHER_CUES = {  # refusals in other shapes, each language's own words (read/words/<code>.json)
    "de": ["Ich habe keine Lust auf {x}", "Bitte keine {x}", "Auf keinen Fall {x}", "Ich kann {x} nicht leiden",
           "{x} interessieren mich nicht", "{x} langweilen mich", "Alles außer {x}", "Nichts mit {x} bitte",
           "{x}? Auf keinen Fall!"],
    "fr": ["Je ne veux pas {x}", "Pas envie de {x} ce soir", "{x}, ça ne me dit rien", "Je ne supporte pas {x}",
           "À éviter : {x}", "{x} m'ennuient", "Je n'aime guère {x}", "Tout sauf {x}"],
    "es": ["No me apetece {x}", "{x} no me interesa", "{x} no me llama", "{x} me aburre", "Ni hablar de {x}",
           "Cualquier cosa menos {x}", "Nada de {x}, por favor"],
}


@pytest.mark.parametrize("code,template,said,value", _cases(OTHER_CUES))
def test_other_shapes_of_refusal(code: str, template: str, said: str, value: str, movies: Catalog) -> None:
    text = template.format(x=said)
    excluded, wanted, lang, _ = read(text, movies)
    assert lang == code and value in excluded and value not in wanted, (text, lang, excluded, wanted)
