"""(b) MovieLens (`movies.csv`, `links.csv`, `tags.csv`, `ratings.csv`) enriched with TMDB 5000, MeLU and Wikipedia.

    python -m chatrec catalog import movielens ../shared/data/ml-latest-small --name movielens
"""
from __future__ import annotations

import csv
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from chatrec.catalog.manifest import Manifest
from chatrec.errors import CatalogError
from chatrec.importers.common import (
    ImportResult,
    _cast,
    _dedupe,
    _names,
    clean_text,
    map_genres,
    movie_manifest,
    words,
    write_catalog,
)
from chatrec.importers.melu import RATINGS, read_melu
from chatrec.importers.table import _is_num
from chatrec.importers.tmdb import LANGUAGES, _json_names, read_tmdb
from chatrec.importers.wikipedia import WikiIndex, read_wikipedia
from chatrec.rank.signals.neighbors import build, popularity_value, sequences_by_user, train_sequence
from chatrec.settings import Settings

_ARTICLE_END = re.compile(r"^(.*), (The|A|An|Le|La|Les|L'|Il|El|Lo|Gli|I|Der|Die|Das|Los|Las|Un|Une|Det|Den|De|"
                          r"Het|Ein|Eine|O|Os|As)$")


def display_title(t: str) -> str:
    """MovieLens 'Shawshank Redemption, The' -> 'The Shawshank Redemption'."""
    t = t.strip()
    m = _ARTICLE_END.match(t)
    if m:
        art = m.group(2)
        t = f"{art}{m.group(1)}" if art.endswith("'") else f"{art} {m.group(1)}"
    return t


def parse_ml_title(raw: str) -> tuple[str, int | None, list[str]]:
    """'City of Lost Children, The (Cité des enfants perdus, La) (1995)' -> (title, year, alternative titles)."""
    rest = raw.strip()
    year = None
    m = re.match(r"^(.*?)\s*\((\d{4})(?:\s*[-\u2013]\s*(?:\d{4})?)?\)\s*$", rest)
    if m:
        rest, year = m.group(1).strip(), int(m.group(2))
    alts: list[str] = []
    while True:
        m = re.match(r"^(.+?)\s*\(([^()]+)\)$", rest)
        if not m or m.group(1).rstrip().endswith((":", " Or", " or")):
            break
        rest = m.group(1).strip()
        alts.insert(0, display_title(re.sub(r"^a\.k\.a\.\s*", "", m.group(2).strip(), flags=re.I)))
    return display_title(rest) or raw.strip(), year, alts


def _sibling(folder: Path, *parts: str) -> Path | None:
    p = Path(folder).resolve().parent.joinpath(*parts)
    return p if p.exists() else None


def import_movielens(folder: Path, name: str = "movielens", settings: Settings | None = None,
                     tmdb: Path | None | bool = True, melu: Path | None | bool = True,
                     wikipedia: Path | None | bool = True, recipe: str = "ml-latest-small", n_tags: int = 8,
                     n_keywords: int = 20, sequence_epochs: int = 0) -> ImportResult:
    """(b) MovieLens `movies.csv` (+ `links.csv`, `tags.csv`, `ratings.csv`) enriched with TMDB 5000 (via tmdbId),
    MeLU (via movieId) and Wikipedia (normalised title + year within 1). `True` for a source means: look for it next
    to the MovieLens folder (tmdb-5000/, ml-1m-meta-melu/, wikipedia-movie-data/); None or False: do not use it.
    Every rating is an interaction: each user's ratings in time order (ties by movieId), the sequences the
    evaluation reads, give neighbours and popularity through `importers.neighbors.build` with the named `recipe`
    (stored in the folder), and with `sequence_epochs` > 0 the catalog's sequence model
    (`chatrec.rank.signals.sequence`)."""
    t0 = time.time()
    settings = settings or Settings()
    folder = Path(folder)
    if not (folder / "movies.csv").exists():
        raise CatalogError(f"{folder}: no movies.csv (expected a MovieLens folder such as ml-latest-small)")
    if tmdb is True:
        tmdb = _sibling(folder, "tmdb-5000", "tmdb_5000_movies.csv")
    if melu is True:
        melu = _sibling(folder, "ml-1m-meta-melu", "movies_extrainfos.dat")
    if wikipedia is True:
        wikipedia = _sibling(folder, "wikipedia-movie-data")
    man = movie_manifest(name, "MovieLens movies (GroupLens) with TMDB, MeLU and Wikipedia text where they match; "
                               "research and non-commercial use.")
    # TMDB's vote count (a 2017 snapshot) says which films people know today; the rating count of a small MovieLens
    # sample does not (measured on the ReDial replay: docs/results.md section 2b)
    man["public_popularity"] = "audience_votes"
    vocab = man["fields"]["genres"]["vocabulary"]
    with open(folder / "movies.csv", encoding="utf-8", newline="") as fh:
        movies = list(csv.DictReader(fh))
    links: dict[int, int] = {}
    if (folder / "links.csv").exists():
        with open(folder / "links.csv", encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if r.get("tmdbId", "").strip().isdigit():
                    links[int(r["movieId"])] = int(r["tmdbId"])
    tags: dict[int, Counter] = defaultdict(Counter)
    if (folder / "tags.csv").exists():
        with open(folder / "tags.csv", encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                t = clean_text(r.get("tag")).lower()
                if t and r.get("movieId", "").isdigit():
                    tags[int(r["movieId"])][t] += 1
    tmdb_rows = read_tmdb(Path(tmdb)) if tmdb else {}
    melu_rows = read_melu(Path(melu)) if melu else {}
    wiki = WikiIndex(read_wikipedia(Path(wikipedia))) if wikipedia else None

    ymin, ymax = man["fields"]["year"].get("minimum"), man["fields"]["year"].get("maximum")
    items: list[dict[str, Any]] = []
    used = Counter()
    n_wiki = 0
    for r in movies:
        mid = int(r["movieId"])
        title, year, alts = parse_ml_title(r["title"])
        if year is not None and (ymin is not None and year < ymin or ymax is not None and year > ymax):
            year = None
        genres, keywords = map_genres(r.get("genres", "").split("|"), vocab)
        tm = tmdb_rows.get(links.get(mid, -1))
        me = melu_rows.get(mid)
        wk = wiki.match([title, *alts], year) if wiki else None
        n_wiki += wk is not None
        if tm:
            g, kw = map_genres(_json_names(tm.get("genres", "")), vocab)
            genres += [x for x in g if x not in genres]
            keywords += _json_names(tm.get("keywords", ""))
        if me:
            g, kw = map_genres(me.get("genres", "").split(","), vocab)
            genres += [x for x in g if x not in genres]
            keywords += kw
        if wk:
            g, kw = map_genres(wk.get("genres") or [], vocab)
            keywords += kw
        keywords += [t for t, _ in tags.get(mid, Counter()).most_common(n_tags)]
        texts = [("melu", clean_text(me.get("plot")) if me else ""),
                 ("tmdb", clean_text(tm.get("overview")) if tm else ""),
                 ("wikipedia", clean_text(wk.get("extract")) if wk else "")]
        desc_src, desc = next(((s, t) for s, t in texts if words(t) >= 20), max(texts, key=lambda x: words(x[1])))
        used[desc_src if desc else "none"] += 1
        it: dict[str, Any] = {"id": f"ml-{mid}", "title": title}
        if year is not None:
            it["year"] = year
        if genres:
            it["genres"] = genres
        if tm and _is_num(tm.get("runtime")) and 1 <= float(tm["runtime"]) <= 600:
            it["runtime_minutes"] = int(round(float(tm["runtime"])))
        if tm and _is_num(tm.get("vote_count")) and int(float(tm["vote_count"])) >= 5 \
                and _is_num(tm.get("vote_average")):
            it["audience_score"] = round(float(tm["vote_average"]), 1)
            it["audience_votes"] = int(float(tm["vote_count"]))
        directors = _names(me.get("director", "")) if me else []
        if directors:
            it["directors"] = directors[:4]
        cast = _names(me.get("actors", "")) if me else []
        if not cast and wk:
            cast = _cast(wk.get("cast") or [])
        if cast:
            it["cast"] = cast[:8]
        lang = LANGUAGES.get((tm or {}).get("original_language", "").strip().lower(), "")
        if lang:
            it["language"] = lang
        rated = RATINGS.get(clean_text(me.get("rated")).upper()) if me else None
        if rated:
            it["age_rating"] = rated
        kws = _dedupe((k.lower() for k in keywords), n_keywords)
        if kws:
            it["keywords"] = kws
        if desc:
            it["description"] = desc
        items.append(it)

    # popularity, neighbours and the sequence model from the ratings, by the evaluation's own builder
    neighbors: dict[str, list[tuple[str, float]]] = {}
    sequence = None
    rating = None
    col = None
    n_ratings = 0
    if (folder / "ratings.csv").exists():
        pos = {int(r["movieId"]): n for n, r in enumerate(movies)}
        with open(folder / "ratings.csv", encoding="utf-8", newline="") as fh:
            rd = csv.reader(fh)
            header = next(rd)
            cu, cm, cr = header.index("userId"), header.index("movieId"), header.index("rating")
            ct = header.index("timestamp") if "timestamp" in header else None
            data = [(int(x[cu]), int(x[cm]), float(x[cr]), int(x[ct]) if ct is not None else 0) for x in rd if x]
        n_ratings = len(data)
        seqs = sequences_by_user((u, pos[m], ts) for u, m, _, ts in data if m in pos)
        ids = [it["id"] for it in items]
        col = build(seqs, ids, recipe)
        neighbors = col.neighbors
        for it, p in zip(items, col.popularity):
            it["popularity"] = popularity_value(p)
        if sequence_epochs > 0:
            sequence = train_sequence(seqs, ids, sequence_epochs)
        from chatrec.rank.signals.rating import RatingModel, item_features

        rating = RatingModel.fit([(str(u), items[pos[m]]["id"], rt) for u, m, rt, _ in data if m in pos],
                                 item_groups={it["id"]: it.get("genres", []) for it in items},
                                 item_features=item_features(items, Manifest.model_validate(man)))
    dest = write_catalog(name, man, items, settings, neighbors, sequence, rating,
                         col.recipe_json() if col is not None else None)
    stats = {
        "description_20_words": sum(1 for it in items if words(it.get("description")) >= 20),
        "description_source": dict(used),
        "with_runtime": sum(1 for it in items if "runtime_minutes" in it),
        "with_directors": sum(1 for it in items if "directors" in it),
        "with_cast": sum(1 for it in items if "cast" in it),
        "joined": {"tmdb": sum(1 for r in movies if links.get(int(r["movieId"]), -1) in tmdb_rows),
                   "melu": sum(1 for r in movies if int(r["movieId"]) in melu_rows), "wikipedia": n_wiki},
        "ratings": n_ratings, "with_neighbors": len(neighbors), "neighbors_recipe": col.recipe if col else None,
        "rating_model": rating is not None,
        "sequence_model": sequence.info if sequence is not None else None,
        "sources": {"tmdb": str(tmdb) if tmdb else None, "melu": str(melu) if melu else None,
                    "wikipedia": str(wikipedia) if wikipedia else None},
        "seconds": round(time.time() - t0, 1),
    }
    return ImportResult(name, dest, len(items), stats)
