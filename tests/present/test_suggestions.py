"""Every phrase chatrec suggests to its user is sent to a real Recommender (the default 1.5B model loaded, the
shipped reading path: rules, the model only for words no rule placed; explanations from templates to keep this
fast, they do not touch the state) in a state where it applies, and must change the state as it promises."""
from __future__ import annotations

import re

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.present.suggestions import Suggestion, suggestions
from chatrec.settings import Settings

CATALOGS = ("movies", "products")
SUGGESTED = [s for name in CATALOGS for s in suggestions(Catalog.load(name, Settings()))]
SETUP = {"movies": "a funny movie", "products": "something for a picnic"}  # a first list of cards


@pytest.fixture(scope="module")
def quick(rec):
    """The shared model, embeddings and index; template explanations."""
    from chatrec.recommender import Recommender

    return Recommender(rec.settings.model_copy(update={"llm_explanations": False}), rec.llm, rec.embedder, rec.index)


def _some_limit(cat: Catalog, field: str) -> dict:
    """An active hard limit on `field` that still lets items through (what 'relax' must remove)."""
    spec = cat.manifest.fields[field]
    values = [v for it in cat.items for v in (it.get(field) if isinstance(it.get(field), list) else [it.get(field)])
              if v is not None]
    if spec.filter == "range":
        return {"max": max(values)}
    if spec.filter == "include_exclude":
        return {"exclude": [min(set(values), key=values.count)]}
    return {"include": [max(set(values), key=values.count)]}


def _violations(reply, cat, st) -> list[str]:
    from chatrec.candidates.sources import violates

    return [f"{r.title}: {k}" for r in reply.recommendations for k, c in st.active_constraints().items()
            if violates(cat.by_id[r.item_id], k, c, cat)]


@pytest.mark.parametrize("sg", SUGGESTED, ids=[f"{s.catalog}:{s.phrase}" for s in SUGGESTED])
def test_suggested_phrase_does_what_it_promises(quick, sg: Suggestion) -> None:
    cat = quick.catalog(sg.catalog)
    s = quick.new_session(sg.catalog)
    if sg.needs == "cards":
        quick.respond(s, SETUP[sg.catalog])
    for f in sg.promise.relaxed:  # needs == "limit"
        quick.update_state(s, {"constraints": {f: _some_limit(cat, f)}})
        assert f in s.state.active_constraints()
    shown = list(s.state.last_recommended)
    reply = quick.respond(s, sg.phrase)
    st, p = s.state, sg.promise
    for f in p.relaxed:
        assert f not in st.active_constraints(), f"'{sg.phrase}' left the {f} limit: {st.constraints[f]}"
    for f, want in p.limits.items():
        c = st.constraints.get(f)
        assert c is not None, f"'{sg.phrase}' set no {f} limit"
        for k, v in want.items():
            if k == "exclude":
                assert set(v) <= set(c.exclude), (sg.phrase, c)
            elif k == "max_below_shown":
                assert c.max is not None and c.max < max(cat.by_id[i][f] for i in shown), (sg.phrase, c, shown)
            else:
                assert getattr(c, k) == v, (sg.phrase, k, c)
    for i in p.liked:
        iid = shown[int(i[1:]) - 1] if i.startswith("@") else i
        assert iid in st.liked_items, (sg.phrase, iid, st.liked_items)
    for a in p.wants:
        assert a in st.liked_attributes.all(), (sg.phrase, st.liked_attributes)
    for iid, stars in p.stars.items():
        assert st.stars_out_of_5.get(iid) == stars, (sg.phrase, st.stars_out_of_5)
    assert reply.intent == "recommend" and reply.recommendations, (sg.phrase, reply.intent, reply.text)
    assert not _violations(reply, cat, st), "the reply keeps to the limits the phrase left"


def test_shortfall_notice_says_a_listed_phrase_that_widens_the_list(quick) -> None:
    """A list cut short by a limit says how to lift it; that phrase is listed and lifts exactly that limit."""
    cat, s = quick.catalog("movies"), quick.new_session("movies")
    quick.update_state(s, {"constraints": {"year": {"max": 1940}, "runtime_minutes": {"max": 90}}})
    r1 = quick.respond(s, "a comedy")
    assert len(r1.recommendations) < quick.settings.n_recommendations, [x.title for x in r1.recommendations]
    said = [m for n in r1.notices for m in re.findall(r"say '([^']+)'", n)]
    assert said and said[0] in {x.phrase for x in suggestions(cat)}, r1.notices
    before = dict(s.state.active_constraints())
    r2 = quick.respond(s, said[0])
    gone = set(before) - set(s.state.active_constraints())
    assert len(gone) == 1 and len(r2.recommendations) > len(r1.recommendations), (said[0], gone)
    step = next(x for x in r2.reasoning if x.name == "understand")
    assert step.counts["llm_used"] == 0, "the command is read by code, no model call"


def test_decade_note_suggests_listed_phrases(quick) -> None:
    s = quick.new_session("movies")
    r = quick.respond(s, "nothing from the 80s")
    said = [m for n in r.notices for m in re.findall(r"'([^']+)'", n)]
    assert said == ["before 1980", "after 1989"], r.notices
    assert set(said) <= {x.phrase for x in suggestions(quick.catalog("movies"))}
