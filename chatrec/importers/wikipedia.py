"""(c) Wikipedia American films (`movies-19x0s.json`): a catalog on their own, or plot text and cast for MovieLens.

    python -m chatrec catalog import wikipedia ../shared/data/wikipedia-movie-data --name wikipedia-films
"""
from __future__ import annotations

import glob
import json
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from chatrec.errors import CatalogError
from chatrec.importers.common import (
    ImportResult,
    _cast,
    clean_text,
    join_key,
    map_genres,
    movie_manifest,
    slug,
    words,
    write_catalog,
)
from chatrec.settings import Settings


def read_wikipedia(folder: Path) -> list[dict[str, Any]]:
    films: list[dict[str, Any]] = []
    for f in sorted(glob.glob(str(Path(folder) / "*.json"))):
        data = json.loads(Path(f).read_text(encoding="utf-8"))
        if isinstance(data, list):
            films += [d for d in data if isinstance(d, dict) and d.get("title")]
    if not films:
        raise CatalogError(f"{folder}: no Wikipedia film files (*.json arrays)")
    return films


class WikiIndex:
    """Wikipedia films by normalised title, matched on year within one."""

    def __init__(self, films: list[dict[str, Any]]) -> None:
        self.by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for f in films:
            if isinstance(f.get("year"), int):
                self.by_key[join_key(f["title"])].append(f)

    def match(self, titles: list[str], year: int | None) -> dict[str, Any] | None:
        if year is None:
            return None
        for t in titles:
            cands = [f for f in self.by_key.get(join_key(t), []) if abs(f["year"] - year) <= 1]
            if not cands:
                continue
            best = min(abs(f["year"] - year) for f in cands)
            cands = [f for f in cands if abs(f["year"] - year) == best]
            if len({f.get("href") or id(f) for f in cands}) == 1:
                return cands[0]
            return None  # two different films of that title and year: do not guess
        return None


def import_wikipedia(folder: Path, name: str = "wikipedia-films", settings: Settings | None = None,
                     require_extract: bool = True, min_words: int = 1) -> ImportResult:
    """(c) American films from Wikipedia (`movies-19x0s.json`): extract as description, cast, genres mapped to the
    movies vocabulary (other genres become keywords). Films without an extract are skipped unless asked for."""
    t0 = time.time()
    settings = settings or Settings()
    films = read_wikipedia(Path(folder))
    man = movie_manifest(name, "American films from Wikipedia (lead paragraphs CC BY-SA 4.0).",
                         required=("id", "title", "description") if require_extract else ("id", "title"))
    del man["fields"]["popularity"]
    vocab = man["fields"]["genres"]["vocabulary"]
    ymin, ymax = man["fields"]["year"].get("minimum"), man["fields"]["year"].get("maximum")
    items: list[dict[str, Any]] = []
    by_href: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    skipped = Counter()
    for f in films:
        extract = clean_text(f.get("extract"))
        if require_extract and words(extract) < min_words:
            skipped["no extract"] += 1
            continue
        href = unquote(f.get("href") or "")
        if href and href in by_href:  # the same article listed twice (another year or an alternative title)
            skipped["duplicate article"] += 1
            continue
        year = f.get("year") if isinstance(f.get("year"), int) else None
        if year is not None and (ymin is not None and year < ymin or ymax is not None and year > ymax):
            year = None
        base = "wiki-" + (slug(href) if href else slug(f"{f['title']} {year or ''}"))
        iid, n = base, 1
        while iid in used:
            n += 1
            iid = f"{base}-{n}"
        used.add(iid)
        genres, keywords = map_genres([g for g in f.get("genres") or [] if isinstance(g, str)], vocab)
        it: dict[str, Any] = {"id": iid, "title": clean_text(f["title"])}
        if year is not None:
            it["year"] = year
        if genres:
            it["genres"] = genres
        cast = _cast(f.get("cast") or [])
        if cast:
            it["cast"] = cast
        if keywords:
            it["keywords"] = keywords
        if extract:
            it["description"] = extract
        items.append(it)
        if href:
            by_href[href] = it
    dest = write_catalog(name, man, items, settings)
    stats = {"films_read": len(films), "skipped": dict(skipped),
             "with_genres": sum(1 for it in items if "genres" in it),
             "description_20_words": sum(1 for it in items if words(it.get("description")) >= 20),
             "seconds": round(time.time() - t0, 1)}
    return ImportResult(name, dest, len(items), stats)
