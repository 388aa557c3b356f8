"""The shipped movie catalog against public data: facts cross-checked, descriptions our own words."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import need_shared

ROOT = Path(__file__).resolve().parents[2]


def _movies() -> list[dict]:
    return [json.loads(l) for l in open(ROOT / "catalog" / "movies" / "items.jsonl", encoding="utf-8") if l.strip()]


def test_facts_match_public_data_within_tolerance() -> None:
    need_shared("ml-1m-meta-melu")
    need_shared("tmdb-5000")
    need_shared("wikipedia-movie-data")
    from shared_data import check_film

    films = _movies()
    errata = {e["id"]: e for e in json.loads((ROOT / "catalog" / "movies" / "errata.json").read_text())}
    found, mismatched = 0, {}
    for f in films:
        ok, reasons = check_film(f)
        found += ok
        if reasons:
            mismatched[f["id"]] = reasons
    print(f"{found}/{len(films)} found in public data; {len(mismatched)} mismatches")
    assert found >= 0.6 * len(films)
    assert len(mismatched) <= 0.02 * len(films), mismatched
    missing = sorted(set(mismatched) - set(errata))
    assert not missing, f"mismatches not explained in errata.json: {missing}"


def test_no_text_copied_from_public_sources() -> None:
    need_shared("tmdb-5000")
    from shared_data import copied_runs

    copied = {}
    for f in _movies():
        runs = copied_runs(f["description"]) + copied_runs(" . ".join(f["keywords"]))
        if runs:
            copied[f["id"]] = runs[:2]
    assert not copied, copied


def test_the_checker_catches_planted_errors() -> None:
    need_shared("ml-1m-meta-melu")
    need_shared("tmdb-5000")
    from shared_data import check_film, copied_runs, matches

    # A film whose sources carry a runtime, directors and a cast, so every planted error has something to contradict.
    film = next(f for f in _movies()
                if check_film(f) == (True, [])
                and any(s.runtime for s in matches(f)) and any(s.directors for s in matches(f))
                and any(s.cast for s in matches(f)))
    assert check_film({**film, "runtime_minutes": film["runtime_minutes"] + 40})[1]
    assert check_film({**film, "directors": ["Nobody Anyone-Else"]})[1]
    assert check_film({**film, "cast": ["Nobody Anyone-Else"]})[1]
    assert not check_film({**film, "year": film["year"] - 10})[0]
    assert copied_runs("A little boy named Andy loves to be in his room, playing with his toys")
