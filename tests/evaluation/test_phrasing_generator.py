"""The phrasing generator (chatrec/evaluation/phrasings.py): deterministic, its word tables sized and sourced, every
filterable field of the three catalogs covered, the dev and held-out halves built from disjoint parts, and labels
that follow from how each sentence was made (a negated 'before' is a lower bound). No test here runs the reader."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import need_shared

from chatrec.evaluation.phrasings import (
    FAMILIES,
    FILES,
    HALVES,
    MIN_ALLOWED,
    Builder,
    World,
    breaks,
    conflicting,
    generate,
    limits_of,
    load,
    load_catalog,
    merge_turns,
    words,
)
from chatrec.evaluation.understand_eval import expected_facts

PUBLIC = {"negex", "redial-seeker", "redial-recommender"}
SLOTS = {"np", "bare", "noun", "nouns", "are", "those", "them", "np2"}


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def rows() -> dict[str, list[dict]]:
    return {h: load(h) for h in HALVES}


def test_the_generator_is_deterministic_and_its_files_are_fresh() -> None:
    first, second = generate(), generate()
    assert first == second
    for half in HALVES:
        on_disk = [json.loads(line) for line in FILES[half].read_text(encoding="utf-8").splitlines() if line.strip()]
        assert on_disk == first[half], (f"{FILES[half]} is stale: regenerate it with "
                                        f"`python -m chatrec.evaluation.phrasings`")


def test_the_word_tables_are_large_enough_and_name_their_sources() -> None:
    neg = words("negation_cues")
    cues = neg["negations"]
    assert len({c["cue"] for c in cues}) == len(cues)
    public = [c for c in cues if c["source"] in PUBLIC]
    assert len(public) >= 50, f"only {len(public)} negation cues from public lexicons"
    assert sum(c["source"] == "negex" for c in cues) >= 20 and sum(c["source"] == "redial-seeker" for c in cues) >= 20
    for table in ("negation_cues", "directions", "values", "templates", "languages"):
        doc = words(table)
        named = set(doc["sources"])
        entries = [*doc.get("negations", []), *doc.get("pseudo_negations", []), *doc.get("terminators", [])]
        entries += list(doc.get("languages", {}).values())
        assert all(e["source"] in named for e in entries), table
        assert doc.get("source", next(iter(named))) in named, table
    for c in cues:
        templates = [t for o in ("cue_first", "value_first", "cleft") for t in c.get(o, [])]
        assert templates, c["cue"]
        assert all(set(re.findall(r"\{(\w+)\}", t)) <= SLOTS for t in templates), c["cue"]
        assert all(c["cue"].replace("'", "").lower() in t.replace("'", "").lower() or c["source"] != "negex"
                   for t in templates), c["cue"]  # a NegEx cue is written as NegEx has it
        if c["source"] == "negex":
            assert c["list"] in ("preceding_negations", "following_negations")
        if c["source"].startswith("redial"):
            assert c["count"] >= 1
    assert {p["cue"] for p in neg["pseudo_negations"] if p["source"] == "negex"} >= {"not only", "without further"}
    assert {t["cue"] for t in neg["terminators"]} >= {"but", "however", "though", "yet"}
    orders = Counter(o for c in cues for o in ("cue_first", "value_first", "cleft") if c.get(o))
    assert min(orders.values()) >= 15, orders
    dirs = words("directions")["words"]
    assert len({d["word"] for d in dirs}) >= 20
    for d in dirs:
        assert d["side"] in ("min", "max") and d["edge"] in ("inclusive", "exclusive") and d["units"], d
        assert d["class"] in ("prep", "acomp", "qcomp", "quant", "suffix"), d
    need = {"before", "after", "earlier than", "later than", "newer than", "older than", "since", "until",
            "at least", "at most", "no more than", "under", "over", "longer than", "shorter than", "cheaper than",
            "pricier than", "or later", "or earlier", "or more", "or less", "and up", "tops"}
    assert need <= {d["word"] for d in dirs}


def test_redial_idioms_are_the_seekers_own_words() -> None:
    path = need_shared("redial", "test_data.jsonl")
    seeker, everyone = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        for m in d["messages"]:
            t = m["text"].lower().replace("\u2019", "'")
            everyone.append(t)
            if m["senderWorkerId"] == d["initiatorWorkerId"]:
                seeker.append(t)
    neg = words("negation_cues")
    for c in [*neg["negations"], *neg["pseudo_negations"]]:
        if not c["source"].startswith("redial"):
            continue
        r = re.compile(rf"\b{re.escape(c['cue'])}\b")
        n = sum(1 for t in (seeker if c["source"] == "redial-seeker" else everyone) if r.search(t))
        assert n == c["count"], (c["cue"], n)


def test_every_filterable_field_of_the_three_catalogs_is_covered(rows: dict[str, list[dict]]) -> None:
    for half in HALVES:
        for cat in ("movies", "products", "boardgames"):
            fields = set(load_catalog(cat).manifest.filterable())
            seen = {f for r in rows[half] if r["catalog"] == cat for f in r["fields"]}
            assert fields <= seen, (half, cat, fields - seen)
        assert set(FAMILIES) == {r["category"] for r in rows[half]}, half
        negation = [r for r in rows[half] if r["category"] == "negation"]
        assert {r["order"] for r in negation} == {"cue_first", "value_first", "cleft"}
        assert {r["position"] for r in negation} == {"only", "first", "second"}
        assert {r["lang"] for r in rows[half]} == {"en", "fr", "es", "de"}
        assert sum(len(r["turns"]) for r in rows[half] if r.get("turns")) >= 20
        assert 300 <= len(rows[half]) <= 900


def test_the_halves_share_no_cue_template_or_wording(rows: dict[str, list[dict]]) -> None:
    dev = {u for r in rows["dev"] for u in r["units"]}
    held = {u for r in rows["heldout"] for u in r["units"]}
    assert not dev & held, sorted(dev & held)[:10]
    for kind in ("neg-cue:", "dir:", "np:", "negated_leads:", "leads:", "terminator:", "surname:", "pseudo:",
                 "lang:fr:neg:", "followups:"):
        assert any(u.startswith(kind) for u in dev) and any(u.startswith(kind) for u in held), kind
    assert not {r["text"].lower() for r in rows["dev"]} & {r["text"].lower() for r in rows["heldout"]}
    assert all(r["half"] == h for h in HALVES for r in rows[h])


def test_bounds_follow_from_the_direction_word_and_its_negation(world: World) -> None:
    b = Builder(world, "dev")
    word = {d["word"]: d for d in world.directions["words"]}
    assert b.bound("year", word["before"], 1980, negated=True) == ("min", 1980)  # nothing before 1980
    assert b.bound("year", word["before"], 1980, negated=False) == ("max", 1979)
    assert b.bound("year", word["after"], 1990, negated=True) == ("max", 1990)
    assert b.bound("year", word["or later"], 2000, negated=False) == ("min", 2000)
    assert b.bound("year", word["since"], 2000, negated=False) == ("min", 2000)
    assert b.bound("minutes", word["over"], 150, negated=True) == ("max", 150)  # nothing over 2.5 hours
    assert b.bound("minutes", word["longer than"], 120, negated=True) == ("max", 120)
    assert b.bound("minutes", word["under"], 120, negated=False) == ("max", 120)  # the regression set's convention
    assert b.bound("players", word["more than"], 4, negated=False) == ("min", 5)
    assert b.bound("players", word["fewer than"], 4, negated=True) == ("min", 4)
    assert b.bound("USD", word["cheaper than"], 10, negated=True) == ("min", 10)
    assert merge_turns({"year>=1980", "runtime_minutes<=120"}, {"year>=2000", "year<=2009"}) == \
        {"year>=2000", "year<=2009", "runtime_minutes<=120"}
    assert merge_turns({"year<=1979"}, {"year>=1990", "year<=1999"}) == {"year>=1990", "year<=1999"}


def test_labels_are_consistent_with_how_each_row_was_made(rows: dict[str, list[dict]], world: World) -> None:
    dirs = {d["word"]: d for d in world.directions["words"]}
    for half in HALVES:
        for r in rows[half]:
            facts = expected_facts(r["expect"])
            assert r["expect"] == "none" or facts, r
            assert not conflicting(facts), r
            negative = {f for f in facts if re.match(r"[a-z_]+!|-[pk]:", f)}
            if r["category"] == "negation":
                assert len(negative) == 1 and len(facts) == (1 if r["position"] == "only" else 2), r
            if r["category"] == "controls":
                assert not negative and all(f.startswith("+") for f in facts), r
            if r["category"] in ("negated-direction", "open-bounds"):
                (bound,) = facts
                d = dirs[next(u[4:] for u in r["units"] if u.startswith("dir:"))]
                side = d["side"] if r["category"] == "open-bounds" else {"min": "max", "max": "min"}[d["side"]]
                assert (">=" if side == "min" else "<=") in bound, r
            if r["category"] == "people" and r["cue"] == "ask":
                assert re.fullmatch(r"ask:p:[^|]+\|[^|]+", r["expect"]), r
            cat = world.catalogs[r["catalog"]]
            lim = limits_of(facts)
            if lim.is_hard():  # a right reading can still fill a reply
                fits = [it for it in cat.items if not [k for k, _ in breaks(it, lim, cat.manifest) if k != "avoided"]]
                assert len(fits) >= MIN_ALLOWED, r
    negated_before = [r for r in rows["dev"] + rows["heldout"] if r["category"] == "negated-direction"
                      and "dir:before" in r["units"]]
    assert negated_before and all(">=" in r["expect"] for r in negated_before)


def _value_words(world: World, cat: str) -> dict[str, set[str]]:
    """Lower-cased word -> the values it names in a catalog: vocabulary values and their manifest synonyms, the
    items' values of include/exclude fields without a vocabulary (languages), and traits two or more items share."""
    c = world.catalogs[cat]
    out: dict[str, set[str]] = {}
    for name, spec in c.manifest.filterable().items():
        if spec.filter == "include_exclude":
            for w, v in c.manifest.synonyms_for(name).items():
                out.setdefault(w, set()).add(v)
            if not spec.vocabulary:
                for it in c.items:
                    if it.get(name):
                        out.setdefault(str(it[name]).lower(), set()).add(str(it[name]))
        elif spec.filter == "member" and name not in ("cast", "directors", "creators"):
            df = Counter(str(v).lower() for it in c.items for v in set(it.get(name) or []))
            for k, n in df.items():
                if n >= 2:
                    out.setdefault(k, set()).add(k)
    return out


def test_every_value_phrase_names_its_value_and_nothing_else(world: World) -> None:
    """Each noun phrase the generator uses for a value contains the value or a manifest synonym of it (so the label
    is the catalog's own reading), and no other value, synonym or shared trait of the catalog."""
    for cat, fields in world.values["fields"].items():
        known = _value_words(world, cat)
        for name, table in fields.items():
            if "np" in table:  # people: frames around a name
                continue
            for value, e in table.items():
                for np in e["np"] + [x for x in (e.get("bare"), e.get("one")) if x]:
                    low = np.lower()
                    hits: set[str] = set()
                    for w, vals in known.items():
                        if re.search(rf"(?<!\w){re.escape(w)}(?:s|es)?(?!\w)", low):
                            hits |= vals
                    mine = {value, value.lower()}
                    assert hits & mine, (cat, name, value, np)
                    longer = {w for w in known if re.search(rf"(?<!\w){re.escape(w)}", low) and known[w] & mine}
                    others = {v for v in hits - mine if not any(v.lower() in w for w in longer)}
                    assert not others, (cat, name, value, np, others)


def test_companions_and_followups_say_what_they_are_labelled(world: World) -> None:
    for kind in ("companions", "followups"):
        for cat, lst in world.templates[kind].items():
            if cat == "about":
                continue
            known = _value_words(world, cat)
            for c in lst:
                facts = expected_facts(c["expect"])
                for f in facts:
                    if f.startswith("+g:"):
                        v = f[3:]
                        assert any(v in vals and re.search(rf"\b{re.escape(w)}", c["t"].lower())
                                   for w, vals in known.items()), (cat, c)
                assert not any(re.match(r"[a-z_]+!|-[pk]:", f) for f in facts), c


def test_surnames_are_unique_or_shared_by_exactly_two(world: World) -> None:
    for cat, sn in world.surnames.items():
        people = list(world.catalogs[cat].people.values())
        for role, names in sn["unique"].items():
            assert names, (cat, role)
            for s, full in names:
                assert [p for p in people if p.split()[-1] == s] == [full]
        for s, names2 in sn["ambiguous"]:
            assert sorted(p for p in people if p.split()[-1] == s) == names2
    assert ("Nolan", "Christopher Nolan") in world.surnames["movies"]["unique"]["directors"]
    assert any(s == "Coen" for s, _ in world.surnames["movies"]["ambiguous"])


def test_the_generated_files_live_where_the_command_reads_them() -> None:
    root = Path(__file__).resolve().parents[2]
    assert FILES["dev"] == root / "tests/data/generated/understand_dev.jsonl"
    assert FILES["heldout"] == root / "tests/data/generated/understand_heldout.jsonl"
