"""The turn's stages on the real catalog, MiniLM and Chroma (rules only): talk never reaches the retrieval query."""
from __future__ import annotations

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.read.understand import understand, without_talk
from chatrec.settings import Settings


def _ranking(rec, *messages: str) -> tuple[list[str], str]:
    """The full ranking and the retrieve step's detail after the last of `messages`, in a fresh session."""
    s = rec.new_session("movies")
    for m in messages:
        reply = rec.respond(s, m)
    step = next(x for x in reply.reasoning if x.name == "retrieve")
    return reply.ranking, step.detail


@pytest.mark.parametrize("talk", ["Hi! How are you doing today? I'm looking for a comedy.",
                                  "Hello, nice talking to you! I'm looking for a comedy, thanks!"])
def test_talk_plus_request_retrieves_as_the_request_alone(rules_rec, talk: str) -> None:
    alone = _ranking(rules_rec, "I'm looking for a comedy.")
    assert alone[0] and _ranking(rules_rec, talk) == alone


def test_talk_only_adds_nothing_to_the_query(rules_rec) -> None:
    """After a request, two different talk-only messages retrieve and rank the same: their words are not embedded."""
    a = _ranking(rules_rec, "a thriller with Tom Hanks", "Nice talking to you!")
    b = _ranking(rules_rec, "a thriller with Tom Hanks", "Thank you so much, have a great day!")
    assert a[0] and a == b


@pytest.mark.parametrize("text,expected", [
    ("Nice talking to you!", ""), ("Hi! How are you? I am looking for a comedy.", "I am looking for a comedy"),
    ("I am doing well, how about you? I love comedies", "I love comedies"),
    ("Crouching Tiger, Hidden Dragon was great", "Crouching Tiger, Hidden Dragon was great"),
    ("I loved it, thanks", "I loved it"), ("something under 1.5 hours", "something under 1.5 hours")])
def test_without_talk_keeps_every_clause_the_reader_reads(text: str, expected: str) -> None:
    cat = Catalog.load("movies", Settings())
    st = DialogueState(catalog=cat.name)
    assert without_talk(text, st, cat, understand(text, st, cat, None, llm_mode="never")) == expected
