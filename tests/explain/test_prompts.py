"""The prompt templates (chatrec/explain/prompts/*.j2): each renders whole, values go in verbatim, the stable front of
every prompt is the same for every user (llama.cpp reuses its cache only while that front is unchanged), and the
item's facts reach the prompt. A few rendered texts are pinned byte for byte: changing them is a measured change."""
from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import Constraint, DialogueState, Turn
from chatrec.evaluation.llm_rank import recency_prompt, recency_question
from chatrec.explain.compose import batch_messages, brief, prompt
from chatrec.explain.factcheck import facts_text
from chatrec.explain.prompts import HERE, render
from chatrec.llm.fake import FakeChatModel
from chatrec.read.proposals import llm_place, llm_propose
from chatrec.settings import Settings

BOARDGAMES = Path(__file__).parents[1] / "data" / "boardgames"
ODD = "a {{ noun }} with {% if x %}braces{% endif %} {# and #} 100% café\nsecond line"

SAMPLES: dict[str, dict[str, object]] = {
    "explain_system.j2": {"noun": "game"},
    "explain_example_user.j2": {},
    "explain_example_answer.j2": {},
    "explain_batch.j2": {"items": [("Harbor Lights (2016)", "play: 45 minutes"), ("Flotsam (2011)", "max: 5")]},
    "explain_one_system.j2": {"noun": "movie"},
    "explain_one_user.j2": {"message": ODD, "wanted": ["heist"], "noun": "movie", "facts": "year: 1995",
                            "details": ["bank robbery", "los angeles"]},
    "proposal_system.j2": {"noun": "product"},
    "proposal_user.j2": {"message": ODD},
    "place_system.j2": {"noun": "movie"},
    "place_user.j2": {"message": ODD, "words": ["cozy", "rainy"]},
    "judge_system.j2": {"noun": "movie"},
    "judge_profile.j2": {"profile": "Liked: Heat (1995)"},
    "judge_question.j2": {"item": "Heat (1995); Crime, Thriller. A detective hunts a crew."},
    "recency_system.j2": {"verb": "watch", "noun": "movie"},
    "recency_history.j2": {"past": "watched", "noun": "movie", "history": ["Heat", "Alien"]},
    "recency_question.j2": {"verb": "watch", "noun": "movie", "title": "Heat"},
}


@pytest.fixture(scope="module")
def games() -> Catalog:
    return Catalog.load(BOARDGAMES, Settings())


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.load("movies", Settings())


def _someone(cat: Catalog, liked: list[str], said: str) -> DialogueState:
    st = DialogueState(catalog=cat.name, liked_items=liked, soft_preferences=["cozy"])
    st.turns.append(Turn(role="user", text=said))
    for name, spec in cat.manifest.fields.items():
        if spec.filter == "range":
            st.constraints[name] = Constraint(max=spec.maximum)
    return st


def test_every_template_has_a_sample_and_renders_whole() -> None:
    assert set(SAMPLES) == {p.name for p in HERE.glob("*.j2")}, "a new template needs a sample here"
    for name, values in SAMPLES.items():
        out = render(name, **values)
        leftover = out.replace(ODD, "")  # the sample message itself carries template syntax, verbatim
        assert not any(s in leftover for s in ("{{", "}}", "{%", "%}", "{#", "#}")), (name, out)
        assert out == out.strip(), f"{name}: a trailing newline or space in the file would change every prompt"


def test_a_missing_value_is_an_error_never_an_empty_string() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("judge_system.j2")


def test_values_go_in_verbatim() -> None:
    assert render("proposal_user.j2", message=ODD) == "Message: " + ODD
    words = ["a {{ b }}", "c"]
    assert render("place_user.j2", message=ODD, words=words) == "Message: " + ODD + "\nWords to place: a {{ b }}, c"


def test_the_stable_prefix_is_the_same_for_every_user(games: Catalog, movies: Catalog) -> None:
    for cat in (games, movies):
        a = batch_messages(cat, cat.items[:3], _someone(cat, [cat.items[5]["id"]], "something cozy"))
        b = batch_messages(cat, cat.items[7:9], DialogueState(catalog=cat.name))
        assert a[:3] == b[:3] and a[3] != b[3]
        assert f"For each numbered {cat.manifest.item_noun}," in a[0]["content"]
        llm = FakeChatModel.silent()
        llm_propose(llm, cat, DialogueState(catalog=cat.name), "a quick one")
        llm_propose(llm, cat, _someone(cat, [], "x"), ODD)
        llm_place(llm, cat, "a quick one", ["quick"])
        llm_place(llm, cat, ODD, ["braces", "café"])
        propose, _, place, _ = [c.messages for c in llm.calls]
        assert [c.messages[0] for c in llm.calls] == [propose[0], propose[0], place[0], place[0]]
        assert llm.calls[1].messages[1]["content"] == "Message: " + ODD
    assert recency_prompt(["Heat"], "games")[0] == recency_prompt(["Alien", "Big"], "games")[0]


def test_the_items_facts_reach_the_prompt(games: Catalog, movies: Catalog) -> None:
    game = games.by_id["harbor-lights"]
    last = batch_messages(games, [game], DialogueState(catalog=games.name))[-1]["content"]
    assert last == f"[1] Harbor Lights (2016) | {brief(games, game, DialogueState(catalog=games.name))}"
    assert "creators: Mara Quist" in last and "play: 45 minutes" in last and "max: 4 players" in last
    heat = movies.by_id["heat-1995"]
    user = prompt(movies, heat, DialogueState(catalog="movies"), "a heist film")[1]["content"]
    assert facts_text(movies, heat) in user and "The user said: a heist film\n" in user


def test_pinned_bytes(games: Catalog) -> None:
    """Rendered texts that the caches and the measured figures depend on, byte for byte."""
    items = [games.by_id["harbor-lights"], games.by_id["signal-fire"]]
    msgs = batch_messages(games, items, DialogueState(catalog=games.name))
    assert msgs[0]["content"] == (
        "For each numbered game, write one line: the number, a dot, and a vivid phrase of at most 14 words saying "
        "what it is or what happens in it, built from its facts (a person, a plot element, a theme). Never name a "
        "title, a year or a number that is not in its facts; no opinions, no praise.")
    assert msgs[3]["content"] == (
        "[1] Harbor Lights (2016) | creators: Mara Quist; tags: lighthouses, family night, seaside; mechanics: Tile "
        "Laying; play: 45 minutes; max: 4 players\n[2] Signal Fire (2020) | creators: Tomas Reed; tags: survival, "
        "mountains, rescue; mechanics: Cooperative; play: 50 minutes; max: 4 players")
    assert render("judge_system.j2", noun="movie") == ("You judge whether a user would enjoy a movie, given their "
                                                       "profile. Answer with one word: Yes or No.")
    assert render("judge_profile.j2", profile="Liked: Heat") == "User profile:\nLiked: Heat"
    assert render("judge_question.j2", item="Heat (1995)") == ("Heat (1995)\nWould this user enjoy it? Answer Yes "
                                                               "or No.")
    assert recency_prompt([], "x")[1]["content"] == ("I've liked the following items in the past in order:\n\n"
                                                     "Note that my most recently liked item is none.")
    assert recency_prompt(["A", "B", "C"], "games", max_items=2)[1]["content"] == (
        "I've bought the following products in the past in order:\n1. B\n2. C\nNote that my most recently bought "
        "product is C.")
    assert recency_question("Q", "games") == "Would I buy this product next: Q? Answer Yes or No."
