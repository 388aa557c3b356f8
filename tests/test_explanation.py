"""The explanation check: planted false claims are rejected, true sentences pass, the template is fact-only."""
from __future__ import annotations

import pytest

from chatrec.catalog import Catalog
from chatrec.explanation import check, template
from chatrec.settings import Settings
from chatrec.state import DialogueState


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return Catalog.load("movies", Settings())


def test_true_sentence_passes(cat: Catalog) -> None:
    heat = cat.by_id["heat-1995"]
    s = (f"A tense {heat['year']} crime thriller where {heat['cast'][0]} and {heat['cast'][1]} face off, "
         f"for anyone who wants a long, moody heist film.")
    assert check(s, heat, cat) == []


@pytest.mark.parametrize("claim,why", [
    ("A tense 1987 crime thriller with a big heist.", "wrong year"),
    ("Tom Hanks gives a great turn as a detective.", "not in the record"),
    ("If you liked Pulp Fiction, this heist film is for you.", "another title"),
    ("At 95 minutes it is a quick watch.", "wrong runtime"),
    ("A classic of the 1970s crime wave.", "wrong decade"),
    ("A heartwarming comedy for the whole family.", "calls it Comedy"),
])
def test_planted_false_claims_are_rejected(claim: str, why: str, cat: Catalog) -> None:
    problems = check(claim, cat.by_id["heat-1995"], cat)
    assert any(why in p for p in problems), problems


def test_template_only_uses_record_facts(cat: Catalog) -> None:
    st = DialogueState(catalog="movies", soft_preferences=[], liked_items=["collateral-2004"])
    st.liked_attributes.genres.append("Crime")
    heat = cat.by_id["heat-1995"]
    t = template(cat, heat, st, {"liked_similarity": 0.6})
    assert t.startswith("Heat (1995)") and "Crime" in t and "Collateral" in t
    assert check(t.replace("Collateral", ""), heat, cat) == []


class _Narrator:
    """A unit-test double: a model that talks about 'the user' instead of to them (the 1.5B model does this)."""

    def stream(self, messages, max_tokens: int = 120, stable: int = 1):  # noqa: ANN001, ANN201
        yield "Its slow-burn heist plot fits the user's taste, and the user "
        yield "can settle into a long, moody crime film."


def test_narrated_sentences_are_turned_to_you(cat: Catalog) -> None:
    from chatrec.explanation import explain

    out = list(explain(_Narrator(), cat, cat.by_id["heat-1995"], DialogueState(catalog="movies"), "a heist film", {}))
    text, from_llm = out[-1]
    assert from_llm is True
    assert text == "Its slow-burn heist plot fits your taste, and you can settle into a long, moody crime film."


class _Rambler:
    """A unit-test double whose sentence is cut off by the token limit."""

    def __init__(self, text: str) -> None:
        self.text = text

    def stream(self, messages, max_tokens: int = 120, stable: int = 1):  # noqa: ANN001, ANN201
        yield self.text


def test_a_sentence_cut_off_by_the_token_limit_is_never_shown(cat: Catalog) -> None:
    from chatrec.explanation import explain

    heat = cat.by_id["heat-1995"]
    st = DialogueState(catalog="movies")
    text, from_llm = list(explain(_Rambler("A long, moody heist film for you. It follows a crew and the"),
                                  cat, heat, st, "a heist film", {}))[-1]
    assert (text, from_llm) == ("A long, moody heist film for you.", True)
    text, from_llm = list(explain(_Rambler("A long, moody heist film that follows a crew and the"),
                                  cat, heat, st, "a heist film", {}))[-1]
    assert from_llm is False and text == template(cat, heat, st, {})
