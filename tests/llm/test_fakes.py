"""chatrec.llm.fake.FakeChatModel: queued answers, recorded calls, and whole turns of the real Recommender (real
catalog, MiniLM, Chroma) on it, with no GGUF model. What the real model does is tested in test_agent.py."""
from __future__ import annotations

import pytest

from chatrec.llm.fake import FakeChatModel, UnexpectedCall

MSGS = [{"role": "system", "content": "sys"}, {"role": "user", "content": "a comedy"}]


def test_answers_come_in_order_and_every_call_is_recorded() -> None:
    fake = FakeChatModel(json=[{"a": 1}, {"a": 2}]).enqueue("stream", "One two.\n2. three", "x")
    assert fake.json(MSGS, {"type": "object"}) == {"a": 1}
    assert fake.json(MSGS, {"type": "object"}, max_tokens=9) == {"a": 2}
    pieces = list(fake.stream(MSGS, stop=["\n2."]))
    assert pieces == ["One", " two."]  # word by word, cut at the stop string like a server would
    assert [c.kind for c in fake.calls] == ["json", "json", "stream"] and fake.calls[1].max_tokens == 9
    assert fake.calls[0].prompt == "a comedy" and fake.of("stream")[0].stop == ["\n2."]
    assert fake.usage.snapshot()["understanding"]["calls"] == 2


def test_an_unexpected_call_fails_loudly() -> None:
    fake = FakeChatModel()
    with pytest.raises(UnexpectedCall, match="json call"):
        fake.json(MSGS, {"type": "object"})
    with pytest.raises(UnexpectedCall, match="2 scores for 1"):
        FakeChatModel(yes_no=[[1.0, 2.0]]).yes_no(MSGS, ["q?"])


def test_silent_defaults_fit_the_schema() -> None:
    fake = FakeChatModel.silent()
    schema = {"type": "object", "properties": {"n": {"type": ["integer", "null"]}, "xs": {"type": "array"},
                                               "intent": {"type": "string", "enum": ["recommend", "other"]}}}
    assert fake.json(MSGS, schema) == {"n": None, "xs": [], "intent": "recommend"}
    assert list(fake.stream(MSGS)) == [] and fake.yes_no(MSGS, ["a?", "b?"]) == [0.0, 0.0]


@pytest.fixture()
def fake_rec(rules_rec, settings):
    """A fresh Recommender on a strict fake model (no defaults), sharing the embedder and index."""
    from chatrec import Recommender

    return Recommender(settings, FakeChatModel(), rules_rec.embedder, rules_rec.index)


def test_a_turn_the_rules_read_makes_one_call_and_bad_phrases_fall_back(fake_rec) -> None:
    """'a comedy under 2 hours' needs no model to read; the one explanation call's bad line is caught."""
    fake = fake_rec.llm
    fake.enqueue("stream", "1. A horror film starring Tom Cruise, set on Mars.\n2.")
    s = fake_rec.new_session("movies")
    reply = fake_rec.respond(s, "a comedy under 2 hours")
    assert fake.of("json") == [] and len(fake.of("stream")) == 1  # no reading call; one for all explanations
    movies = fake_rec.catalog("movies")
    assert reply.recommendations and all(movies.by_id[r.item_id]["runtime_minutes"] <= 120
                                         for r in reply.recommendations)
    assert all(r.explanation_source == "template" and r.explanation for r in reply.recommendations)


def test_an_unplaced_phrase_asks_once_and_ungrounded_answers_are_dropped(fake_rec) -> None:
    """The model proposes, code disposes: a person and a genre the message never names are not kept."""
    fake = fake_rec.llm
    fake.enqueue("json", {"themes_and_moods": [], "wanted": ["Horror"], "excluded": [], "people": ["Tom Hanks"],
                          "titles": []})
    fake.enqueue("stream", "")
    s = fake_rec.new_session("movies")
    fake_rec.respond(s, "a cozy film for a rainy sunday afternoon")
    (call,) = fake.of("json")
    assert "cozy" in call.prompt and call.max_tokens <= 60
    st = s.state
    assert st.liked_attributes.people == [] and "Horror" not in st.liked_attributes.genres
