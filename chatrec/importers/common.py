"""What every importer shares: writing a validated catalog folder, the movies manifest, genre mapping, text helpers.

Imported catalogs are written to `<data_dir>/catalogs/<name>/` (never inside the repository) as `items.jsonl`,
`manifest.json`, `errata.json` and `neighbors.json` (and the models the collaborative signals need), and must pass
`validate_folder` before they replace an older import of the same name (the swap is a rename, so a failed import
leaves the previous catalog intact).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatrec.catalog.catalog import norm_title, validate_folder
from chatrec.catalog.manifest import Manifest
from chatrec.errors import CatalogError
from chatrec.settings import ROOT, Settings

NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_.-]{0,38}[a-z0-9])?$")
MOVIES_MANIFEST = ROOT / "catalog" / "movies" / "manifest.json"

# Source genre -> (genres in the movies vocabulary, keyword to keep). Lower-cased keys; unknown genres become keywords.
GENRE_MAP: dict[str, tuple[tuple[str, ...], str | None]] = {
    # MovieLens
    "sci-fi": (("Science Fiction",), None), "children": (("Family",), None), "musical": (("Music",), "musical"),
    "film-noir": (("Crime",), "film noir"), "imax": ((), None), "(no genres listed)": ((), None),
    # TMDB / IMDb (MeLU)
    "science fiction": (("Science Fiction",), None), "foreign": ((), None), "tv movie": ((), "tv movie"),
    "biography": (("History",), "biography"), "sport": ((), "sports"), "n/a": ((), None), "short": ((), "short film"),
    "news": (("Documentary",), None), "adult": ((), None),
    # Wikipedia
    "animated": (("Animation",), None), "noir": (("Crime",), "film noir"), "historical": (("History",), None),
    "silent": ((), "silent film"), "sports": ((), "sports"), "supernatural": ((), "supernatural"),
    "slasher": (("Horror",), "slasher"), "superhero": (("Action",), "superhero"), "spy": (("Thriller",), "spy"),
    "suspense": (("Thriller",), None), "satire": (("Comedy",), "satire"), "martial arts": (("Action",), "martial arts"),
    "disaster": (("Action",), "disaster"), "legal": (("Drama",), "legal drama"), "dance": (("Music",), "dance"),
    "performance": (("Music",), "performance"), "found footage": ((), "found footage"),
    "live action": ((), None), "independent": ((), "independent film"), "teen": ((), "teen"),
    "erotic": ((), "erotic"), "political": ((), "political"),
}


@dataclass
class ImportResult:
    """Where the catalog went and what the import saw (printed as JSON by the CLI)."""

    name: str
    path: Path
    items: int
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"catalog": self.name, "path": str(self.path), "items": self.items, **self.stats,
                "warnings": self.warnings}


def catalogs_dir(settings: Settings) -> Path:
    return Path(settings.data_dir).expanduser() / "catalogs"


def write_catalog(name: str, manifest: dict[str, Any], items: list[dict[str, Any]], settings: Settings,
                  neighbors: dict[str, list[list[Any]]] | None = None, sequence: Any = None,
                  rating: Any = None, recipe: dict[str, Any] | None = None) -> Path:
    """Write, validate, then swap into `<data_dir>/catalogs/<name>`; raises CatalogError listing problems.
    `recipe` (`Collaborative.recipe_json`) names how the neighbours and popularity were learned."""
    if not NAME_RE.match(name):
        raise CatalogError(f"catalog name {name!r}: use lower-case letters, digits, '-', '_' or '.' (at most 40, "
                           "starting and ending with a letter or digit)")
    root = catalogs_dir(settings)
    dest = root / name
    if dest.resolve().is_relative_to(ROOT.resolve()):
        raise CatalogError(f"refusing to write an imported catalog inside the repository ({dest}); "
                           "set CHATREC_DATA_DIR to a folder outside it")
    shadowing = [d for d in settings.catalog_dirs if (Path(d) / name / "manifest.json").exists()]
    if shadowing:  # catalog_dirs are searched first: the import could never be loaded by name
        raise CatalogError(f"a catalog named {name!r} already exists in {shadowing[0]}; choose another name")
    manifest = {**manifest, "name": name}
    Manifest.model_validate(manifest)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        with open(tmp / "items.jsonl", "w", encoding="utf-8") as fh:
            for it in items:
                fh.write(json.dumps(it, ensure_ascii=False) + "\n")
        (tmp / "errata.json").write_text("[]\n", encoding="utf-8")
        (tmp / "neighbors.json").write_text(json.dumps(neighbors or {}, separators=(",", ":")), encoding="utf-8")
        if recipe is not None:
            from chatrec.rank.signals.neighbors import RECIPE_FILE

            (tmp / RECIPE_FILE).write_text(json.dumps(recipe, indent=2) + "\n", encoding="utf-8")
        if rating is not None:  # a chatrec.rank.signals.rating.RatingModel fitted on the catalog's ratings
            rating.save(tmp / "rating_model.json")
        if sequence is not None:  # a chatrec.rank.signals.sequence.SequenceModel over these items
            from chatrec.rank.signals.sequence import FILE_NAME

            sequence.save(tmp / FILE_NAME)
        problems = validate_folder(tmp)
        if problems:
            shown = "\n".join(f"  {p}".replace(str(tmp), name) for p in problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise CatalogError(f"the imported catalog {name!r} is not valid ({len(problems)} problem(s)):\n"
                               f"{shown}{more}")
        old = root / f".{name}.old-{os.getpid()}"
        if dest.exists():
            dest.rename(old)
        tmp.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def movie_manifest(name: str, description: str, required: Iterable[str] = ("id", "title")) -> dict[str, Any]:
    """The shipped movies manifest (same fields and genre vocabulary), with sparse fields optional and `popularity`."""
    m = json.loads(MOVIES_MANIFEST.read_text(encoding="utf-8"))
    req = set(required)
    m.update(name=name, description=description)
    for k, f in m["fields"].items():
        f["required"] = k in req
    m["fields"]["popularity"] = {"type": "number", "required": False, "display": "hidden", "embed": False,
                                 "minimum": 0, "unit": "ratings"}
    # a public audience score (TMDB's vote average, with its vote count): the rating predictor's item prior
    m["fields"]["audience_score"] = {"type": "number", "required": False, "display": "hidden", "embed": False,
                                     "minimum": 0, "maximum": 10, "unit": "points out of 10"}
    m["fields"]["audience_votes"] = {"type": "integer", "required": False, "display": "hidden", "embed": False,
                                     "minimum": 0, "unit": "votes"}
    return m


def slug(text: str) -> str:
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-")[:80] or "item"


def join_key(title: str) -> str:
    """Title key for joining data sets: `norm_title` without spaces ("Spider-Man" == "Spiderman")."""
    return norm_title(title).replace(" ", "")


def words(text: str | None) -> int:
    return len(text.split()) if text else 0


def clean_text(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    t = re.sub(r"\s+", " ", text).strip()
    return "" if t.upper() in ("N/A", "NA", "NONE", "NULL") else t


def map_genres(values: Iterable[str], vocabulary: list[str]) -> tuple[list[str], list[str]]:
    """Source genres -> (genres in the vocabulary, keywords for the rest)."""
    vocab = {v.lower(): v for v in vocabulary}
    genres: list[str] = []
    keywords: list[str] = []
    for raw in values:
        g = raw.strip()
        if not g:
            continue
        key = g.lower()
        if key in GENRE_MAP:
            mapped, kw = GENRE_MAP[key]
        elif key in vocab:
            mapped, kw = (vocab[key],), None
        else:
            mapped, kw = (), key
        genres += [m for m in mapped if m in vocabulary and m not in genres]
        if kw and kw not in keywords:
            keywords.append(kw)
    return genres, keywords


def _dedupe(values: Iterable[str], limit: int | None = None) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for v in values:
        v = v.strip()
        if v and v.lower() not in seen:
            seen.add(v.lower())
            out.append(v)
    return out[:limit] if limit else out


def _names(value: str) -> list[str]:
    """'Tom Hanks, Tim Allen' -> names, without '(co-director)'-style notes."""
    value = clean_text(value)
    return _dedupe(re.sub(r"\s*\([^)]*\)", "", n) for n in value.split(",")) if value else []


def _cast(values: Iterable[str], limit: int = 8) -> list[str]:
    return _dedupe((c for c in values if isinstance(c, str) and len(c.strip()) > 2 and c.strip()[0].isalnum()
                    and not c.strip().startswith("(")), limit)
