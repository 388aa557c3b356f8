"""The turn's pieces without a model: commands read before the reader, the state changes, the typed events."""
from __future__ import annotations

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.dialogue.transitions import apply_feedback, record_shown
from chatrec.pipeline.events import Cards, Explanation, Replied, Understood
from chatrec.pipeline.reply import Recommendation, Reply
from chatrec.pipeline.turn import STAGES
from chatrec.read.commands import read_commands
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def cats() -> dict[str, Catalog]:
    return {n: Catalog.load(n, Settings()) for n in ("movies", "products")}


@pytest.mark.parametrize("catalog,text,fields,rest", [
    ("movies", "relax the runtime", ["runtime_minutes"], ""),
    ("movies", "Relax the runtime minutes.", ["runtime_minutes"], "."),
    ("movies", "please drop the limit on the year and the genres, something funny", ["year", "genres"],
     "please  , something funny"),
    ("movies", "forget about the age rating", ["age_rating"], ""),
    ("movies", "lift the genre filter and show me westerns", ["genres"], "and show me westerns"),
    ("movies", "remove Heat from my likes", [], "remove Heat from my likes"),  # not a field: the reader's job
    ("movies", "relax the price", [], "relax the price"),  # movies have no price
    ("movies", "I relaxed the whole year", [], "I relaxed the whole year"),
    ("products", "relax the price", ["price_usd"], ""),
    ("products", "loosen the category", ["category"], ""),
])
def test_relax_commands(cats, catalog, text, fields, rest) -> None:
    c = read_commands(text, cats[catalog])
    assert c.relax == fields and c.rest == rest


def test_stages_are_named_and_in_order() -> None:
    assert [s.__name__.rstrip("_") for s in STAGES] == ["read", "answer", "filter", "retrieve", "rank", "show",
                                                         "explain", "finish"]


def test_feedback_moves_an_item_between_lists() -> None:
    st = DialogueState(catalog="movies", rejected_items=["a"], liked_items=["b"])
    apply_feedback(st, "a", liked=True)
    apply_feedback(st, "b", liked=False)
    apply_feedback(st, "a", liked=True)
    assert st.liked_items == ["a"] and st.disliked_items == ["b"] and st.rejected_items == []
    record_shown(st, ["c", "a"])
    record_shown(st, ["d", "c"])
    assert st.last_recommended == ["d", "c"] and st.shown_items == ["c", "a", "d"] and st.focus_item is None


def test_events_are_typed_and_serialise() -> None:
    r = Recommendation(item_id="x", title="X", score=1.0, components={}, item={"id": "x"})
    evs = [Understood(state={}, understanding={"intent": "recommend"}), Cards(recommendations=[r]),
           Explanation(item_id="x", text="because", source="llm"),
           Replied(reply=Reply(session="s", text="t", intent="recommend", state={}))]
    assert [e.kind for e in evs] == ["understood", "cards", "explanation", "reply"] and evs[0].intent == "recommend"
    assert [type(e).model_validate_json(e.model_dump_json()) == e for e in evs] == [True] * 4
    with pytest.raises(ValueError):
        Explanation(item_id="x", text="because", source="maybe")


def test_no_suggested_phrase_is_written_outside_suggestions() -> None:
    """A phrase offered to users ("say '...'", "try '...'", "e.g. '...'") is made by a template in suggestions.py,
    where its promise is listed and test_suggestions sends it; a literal one elsewhere would escape that test."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("chatrec/*.py"), *root.glob("ui/*.py")]
    literal = re.compile(r"""(?:\bsay|\btry|e\.g\.) '[A-Za-z0-9$]""")
    found = [f"{p.name}:{n}" for p in files if p.name not in ("suggestions.py", "manifest.py")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if literal.search(line)]
    assert not found, found
