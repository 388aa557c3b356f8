"""Loaders for the public data in ../shared/data, used by fact and originality checks.

Run as a script to check a movie catalog: `python tests/shared_data.py catalog/movies/items.jsonl`.
"""
from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_ARTICLES = ("the ", "a ", "an ", "le ", "la ", "les ", "il ", "el ", "der ", "die ", "das ")


def norm_title(title: str) -> str:
    """Lower-case, accent-free, article-free, punctuation-free title for joining data sets."""
    t = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower().strip()
    t = re.sub(r"\s*\((?:a\.k\.a\.|aka)?[^)]*\)\s*$", "", t) if re.search(r"\)\s*$", t) and "(" in t else t
    m = re.match(r"^(.*), (the|a|an|le|la|les|il|el|der|die|das)$", t)
    if m:
        t = f"{m.group(2)} {m.group(1)}"
    for a in _ARTICLES:
        if t.startswith(a):
            t = t[len(a):]
            break
    t = t.replace("&", "and")
    return re.sub(r"[^a-z0-9]+", "", t)


def norm_name(name: str) -> str:
    n = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]+", "", n)


@dataclass
class SourceFilm:
    source: str
    title: str
    year: int | None
    runtime: float | None = None
    directors: list[str] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)
    text: str = ""


@lru_cache(maxsize=1)
def source_films() -> dict[str, list[SourceFilm]]:
    """All films of MeLU, TMDB 5000 and Wikipedia, keyed by normalised title."""
    out: dict[str, list[SourceFilm]] = {}

    def add(f: SourceFilm) -> None:
        out.setdefault(norm_title(f.title), []).append(f)

    melu = SHARED / "ml-1m-meta-melu" / "movies_extrainfos.dat"
    with open(melu, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            p = line.rstrip("\n").split("::")
            if len(p) < 10:
                continue
            year = int(p[2]) if p[2][:4].isdigit() else None
            add(SourceFilm("melu", p[1], year, None,
                           [d.strip() for d in re.sub(r"\([^)]*\)", "", p[6]).split(",")
                            if d.strip() and d.strip() != "N/A"],
                           [a.strip() for a in p[8].split(",") if a.strip() and a.strip() != "N/A"], p[9]))
    csv.field_size_limit(10**8)
    with open(SHARED / "tmdb-5000" / "tmdb_5000_movies.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            year = int(r["release_date"][:4]) if r["release_date"][:4].isdigit() else None
            rt = float(r["runtime"]) if r["runtime"] not in ("", "0", "0.0") else None
            text = " ".join([r["overview"], r["tagline"]])
            add(SourceFilm("tmdb", r["title"], year, rt, [], [], text))
            if r["original_title"] != r["title"]:
                add(SourceFilm("tmdb", r["original_title"], year, rt, [], [], ""))
    for f in sorted((SHARED / "wikipedia-movie-data").glob("movies-*.json")):
        for r in json.loads(f.read_text(encoding="utf-8")):
            add(SourceFilm("wikipedia", r["title"], r.get("year"), None, [], r.get("cast") or [],
                           r.get("extract") or ""))
    return out


def matches(rec: dict) -> list[SourceFilm]:
    """Source films with the same normalised title and a year within 1."""
    cands = source_films().get(norm_title(rec["title"]), [])
    return [s for s in cands if s.year is not None and abs(s.year - rec["year"]) <= 1]


def check_film(rec: dict) -> tuple[bool, list[str]]:
    """(found in any source, list of mismatch reasons) per the catalog issue's rules."""
    found = matches(rec)
    if not found:
        return False, []
    reasons: list[str] = []
    rts = [s.runtime for s in found if s.runtime]
    if rts and rec.get("runtime_minutes") and all(abs(r - rec["runtime_minutes"]) > 5 for r in rts):
        reasons.append(f"runtime {rec['runtime_minutes']} vs sources {sorted(set(rts))}")
    dir_srcs = [s for s in found if s.directors]
    if dir_srcs:
        known = {norm_name(d) for s in dir_srcs for d in s.directors}
        for d in rec.get("directors", []):
            if norm_name(d) not in known:
                reasons.append(f"director {d!r} not in sources {sorted({d for s in dir_srcs for d in s.directors})}")
    cast_srcs = [s for s in found if s.cast]
    if cast_srcs:
        known = {norm_name(c) for s in cast_srcs for c in s.cast}
        for c in rec.get("cast", []):
            if norm_name(c) not in known:
                reasons.append(f"cast {c!r} not in sources")
    return True, reasons


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


@lru_cache(maxsize=1)
def source_shingles(n: int = 8) -> frozenset[int]:
    """Hashes of every n-word run in the shared data's prose (plots, overviews, taglines, extracts, tags)."""
    seen: set[int] = set()
    for films in source_films().values():
        for f in films:
            w = _words(f.text)
            seen.update(hash(tuple(w[i:i + n])) for i in range(len(w) - n + 1))
    return frozenset(seen)


def copied_runs(text: str, n: int = 8) -> list[str]:
    """The n-word runs of `text` that also occur in the shared sources."""
    w = _words(text)
    sh = source_shingles(n)
    return [" ".join(w[i:i + n]) for i in range(len(w) - n + 1) if hash(tuple(w[i:i + n])) in sh]


if __name__ == "__main__":
    recs = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    found = bad = 0
    for r in recs:
        ok, reasons = check_film(r)
        found += ok
        copied = copied_runs(r.get("description", "") + " . " + " . ".join(r.get("keywords", [])))
        if reasons or copied:
            bad += 1
            print(f"{r['id']}: {'; '.join(reasons)}{' COPIED: ' + repr(copied[:2]) if copied else ''}")
    print(f"{len(recs)} films, {found} found in sources ({found / max(1, len(recs)):.0%}), {bad} with problems")
