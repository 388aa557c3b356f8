"""The app's API, called like a user's program would: `gradio_client` against `python app.py` on a free port.

Plumbing tests: the app runs the 135M smoke model with template explanations (CHATREC_MODEL=smoke,
CHATREC_LLM_EXPLANATIONS=false) so a turn takes seconds; the behaviour with the real model is in test_ui_browser.py.
The first tests need no app: they pin the escaping of the HTML the page renders and the filter <-> constraint mapping.
"""
from __future__ import annotations

import json
import urllib.request

import pytest
from ui_support import AppProcess, wait_ready

# -- no app needed ------------------------------------------------------------------------------------------------


def test_cards_escape_catalog_and_user_text():
    from chatrec.catalog.manifest import Manifest
    from ui.cards import card_html, preferences_html, reasoning_html, text_html

    m = Manifest.model_validate({"name": "t", "domain": "d", "item_noun": "thing", "item_noun_plural": "things",
                                 "fields": {"id": {"type": "string"}, "title": {"type": "string", "display": "title"},
                                            "price_usd": {"type": "number", "unit": "USD", "display": "badge",
                                                          "filter": "range"},
                                            "tags": {"type": "list", "display": "tags", "filter": "member"}}})
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    rec = {"item_id": 'a"b<c>', "title": evil, "item": {"id": 'a"b<c>', "title": evil, "price_usd": 12.5,
                                                          "tags": [evil]}}
    out = card_html(rec, m, explanation=evil + "\n**bold**", source="llm")
    assert "<img" not in out and "<script" not in out and "&lt;script&gt;" in out
    assert "$12.50" in out and "\n" not in out  # one line: Markdown never re-reads it
    assert "cr-id-" + 'a"b<c>'.encode().hex() in out  # the id travels as a class the sanitizer keeps
    for html_out in (text_html(evil), reasoning_html([{"name": "rank", "detail": evil, "counts": {"n": 1.0}}]),
                     preferences_html({"catalog": "t", "liked_items": ["x"], "constraints": {
                         "price_usd": {"min": None, "max": 40.0, "include": [], "exclude": []}},
                         "liked_attributes": {"genres": [], "people": [evil], "keywords": [], "moods": []}},
                         m, {"x": evil})):
        assert "<img" not in html_out and "<script" not in html_out
    prefs = preferences_html({"catalog": "t", "constraints": {"price_usd": {"max": 40.0}}}, m)
    assert "Price: at most $40.00" in prefs


def test_filters_map_to_constraints_and_back():
    from chatrec.catalog.catalog import Catalog
    from ui.filters import constraints_from_values, controls_for, values_from_state

    cat = Catalog.load("movies")
    ctrls = controls_for(cat)
    keys = [c.key for c in ctrls]
    assert {"year.min", "year.max", "runtime_minutes.max", "genres.exclude", "age_rating.exclude"} <= set(keys)
    genres = next(c for c in ctrls if c.key == "genres.exclude")
    assert "Horror" in genres.choices
    current = {"cast": {"include": ["Tom Hanks"], "exclude": [], "min": None, "max": None}}
    vals = values_from_state(ctrls, current)  # unconstrained: sliders at their bounds, nothing excluded
    vals[keys.index("runtime_minutes.max")] = 120
    vals[keys.index("genres.exclude")] = ["Horror"]
    cons = constraints_from_values(ctrls, vals, current)
    assert cons["runtime_minutes"]["max"] == 120 and cons["runtime_minutes"]["min"] is None
    assert cons["genres"]["exclude"] == ["Horror"]
    assert cons["cast"]["include"] == ["Tom Hanks"]  # what the controls cannot show is kept
    assert "year" not in cons  # sliders left at their bounds mean "no limit"
    back = values_from_state(ctrls, cons)
    assert back[keys.index("runtime_minutes.max")] == 120 and back[keys.index("genres.exclude")] == ["Horror"]


# -- against the running app --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app():
    proc = AppProcess("ui-api-app", {"CHATREC_MODEL": "smoke", "CHATREC_LLM_EXPLANATIONS": "false"}, mcp=True)
    try:
        proc.wait_http(180)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def client(app):
    from gradio_client import Client

    c = Client(app.url, verbose=False)
    wait_ready(c, 600)
    return c


def test_named_endpoints_are_documented(app, client):
    info = client.view_api(print_info=False, return_format="dict")
    named = info["named_endpoints"]
    assert {"/chat", "/feedback", "/reset", "/recommend"} <= set(named)
    assert not [n for n in named if n.startswith("/ui_")]  # the page's own events stay private
    chat = named["/chat"]
    assert [p["parameter_name"] for p in chat["parameters"]] == ["message", "catalog"]
    assert chat["parameters"][1]["type"]["enum"] == ["movies", "products"]
    assert "conversation" in chat["description"]


def test_mcp_schema_lists_the_recommend_tool(app):
    with urllib.request.urlopen(app.url + "/gradio_api/mcp/schema", timeout=30) as r:
        tools = {t["name"]: t for t in json.load(r)}
    assert "recommend" in tools
    rec = tools["recommend"]
    props = rec["inputSchema"]["properties"]
    assert props["request"]["type"] == "string" and props["request"]["description"]
    assert props["catalog"]["enum"] == ["movies", "products"]
    assert props["max_results"]["type"] == "integer"
    assert rec["inputSchema"]["required"] == ["request"]
    assert "Recommend movies or products" in rec["description"]
    assert not [n for n in tools if n.startswith("ui_") or n == "status"]


def test_chat_streams_cards_and_feedback_changes_the_next_turn(client):
    job = client.submit("a funny movie under 2 hours, no horror", "movies", api_name="/chat")
    final = job.result(timeout=600)
    outs = job.outputs()
    assert final["done"] and final["intent"] == "recommend" and final["recommendations"]
    # cards arrive before the reply is done (the stream's partial results)
    assert any(not o["done"] and o["recommendations"] for o in outs)
    assert outs.index(next(o for o in outs if o["recommendations"])) < len(outs) - 1
    recs = final["recommendations"]
    for r in recs:
        assert r["item"]["runtime_minutes"] <= 120 and "Horror" not in r["item"]["genres"], r["title"]
        assert r["explanation"] and r["facts"]["year"]
    assert final["state"]["constraints"]["runtime_minutes"]["max"] == 120
    assert [s["name"] for s in final["reasoning"]][:2] == ["understand", "filter"]

    gone = recs[0]["item_id"]
    state = client.predict(gone, False, api_name="/feedback")
    assert gone in state["disliked_items"]
    again = client.predict("more like the second one", "movies", api_name="/chat")
    ids = [r["item_id"] for r in again["recommendations"]]
    assert ids and gone not in ids
    assert gone in again["state"]["disliked_items"]


def test_api_sessions_are_separate(app, client):
    from gradio_client import Client

    other = Client(app.url, verbose=False)
    fresh = other.predict("movies", api_name="/reset")
    assert fresh["disliked_items"] == [] and fresh["liked_items"] == [] and fresh["constraints"] == {}
    mine = client.predict("the-matrix-1999", True, api_name="/feedback")
    theirs = other.predict("paddington-2-2017", True, api_name="/feedback")
    assert "paddington-2-2017" not in mine["liked_items"] and "the-matrix-1999" not in theirs["liked_items"]
    assert theirs["disliked_items"] == []


def test_errors_come_back_as_clear_messages(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as e:
        client.predict("   ", "movies", api_name="/chat")
    assert "empty" in str(e.value) and "Traceback" not in str(e.value)
    with pytest.raises(AppError) as e:
        client.predict("no-such-item", False, api_name="/feedback")
    assert "unknown item id" in str(e.value)
    with pytest.raises(AppError) as e:
        client.predict("x" * 2500, "movies", api_name="/chat")
    assert "2,000" in str(e.value)


def test_reset_and_the_recommend_tool_on_products(client):
    state = client.predict("products", api_name="/reset")
    assert state["catalog"] == "products" and state["liked_items"] == []
    out = client.predict("a gift for a kid who plays soccer", "products", 3, api_name="/recommend")
    assert out["catalog"] == "products" and 1 <= len(out["recommendations"]) <= 3
    for r in out["recommendations"]:
        assert r["title"] and r["explanation"] and r["facts"]["price_usd"].startswith("$")
        assert "item" not in r  # the tool answers compactly
