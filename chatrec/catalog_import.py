"""Bring your own catalog: CSV/JSONL with a field mapping, MovieLens (+ TMDB, MeLU, Wikipedia) or Wikipedia films.

Imported catalogs are written to `<data_dir>/catalogs/<name>/` (never inside the repository) as `items.jsonl`,
`manifest.json`, `errata.json` and `neighbors.json`, and must pass `validate_folder` before they replace an older
import of the same name (the swap is a rename, so a failed import leaves the previous catalog intact).

    python -m chatrec catalog import csv books.csv --name books --map title=name --map year=published
    python -m chatrec catalog import jsonl items.jsonl --name shop --manifest my_manifest.json
    python -m chatrec catalog import movielens ../shared/data/ml-latest-small --name movielens
    python -m chatrec catalog import wikipedia ../shared/data/wikipedia-movie-data --name wikipedia-films
"""
from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import os
import re
import shutil
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .catalog import CatalogError, norm_title, validate_folder
from .manifest import Manifest
from .settings import ROOT, Settings

csv.field_size_limit(sys.maxsize)
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

LANGUAGES = {
    "en": "English", "fr": "French", "es": "Spanish", "de": "German", "it": "Italian", "ja": "Japanese",
    "zh": "Chinese", "cn": "Cantonese", "ko": "Korean", "hi": "Hindi", "ru": "Russian", "pt": "Portuguese",
    "sv": "Swedish", "da": "Danish", "no": "Norwegian", "nb": "Norwegian", "fi": "Finnish", "nl": "Dutch",
    "pl": "Polish", "cs": "Czech", "hu": "Hungarian", "el": "Greek", "tr": "Turkish", "he": "Hebrew", "ar": "Arabic",
    "fa": "Persian", "th": "Thai", "id": "Indonesian", "ro": "Romanian", "is": "Icelandic", "ta": "Tamil",
    "te": "Telugu", "vi": "Vietnamese", "xx": "", "af": "Afrikaans", "ky": "Kyrgyz", "sl": "Slovenian",
    "ps": "Pashto", "nl-be": "Dutch",
}
RATINGS = {"G": "G", "PG": "PG", "PG-13": "PG-13", "R": "R", "NC-17": "NC-17", "NR": "NR", "UNRATED": "NR",
           "NOT RATED": "NR"}
_ARTICLE_END = re.compile(r"^(.*), (The|A|An|Le|La|Les|L'|Il|El|Lo|Gli|I|Der|Die|Das|Los|Las|Un|Une|Det|Den|De|"
                          r"Het|Ein|Eine|O|Os|As)$")


# ---------------------------------------------------------------------------------------------------------------------
# Writing a catalog folder


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
                  rating: Any = None) -> Path:
    """Write, validate, then swap into `<data_dir>/catalogs/<name>`; raises CatalogError listing problems."""
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
        if rating is not None:  # a chatrec.rating.RatingModel fitted on the catalog's ratings
            rating.save(tmp / "rating_model.json")
        if sequence is not None:  # a chatrec.sequence.SequenceModel over these items
            from .sequence import FILE_NAME

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


# ---------------------------------------------------------------------------------------------------------------------
# Small helpers


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


# ---------------------------------------------------------------------------------------------------------------------
# (a) Generic CSV / JSONL with a field mapping


def read_rows(path: Path, fmt: str | None = None) -> list[dict[str, Any]]:
    path = Path(path)
    fmt = fmt or {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".tsv": "tsv"}.get(path.suffix.lower(), "csv")
    if fmt in ("csv", "tsv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return [dict(r) for r in csv.DictReader(fh, delimiter="\t" if fmt == "tsv" else ",")]
    if fmt == "json":
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            raise CatalogError(f"{path}: a .json file must hold an array of objects")
    else:
        rows = []
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise CatalogError(f"{path}:{n}: not valid JSON ({e.msg})") from None
    bad = [n for n, r in enumerate(rows, 1) if not isinstance(r, dict)]
    if bad:
        raise CatalogError(f"{path}: record(s) {bad[:5]} are not JSON objects")
    return rows


def _field_name(col: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", col.strip().lower()).strip("_") or "field"


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or v == []


_BOOLS = {"true": True, "false": False, "yes": True, "no": False}


def _as_list(v: Any, sep: str) -> list[str]:
    if isinstance(v, list):
        return [str(x).strip() for x in v if not _empty(x)]
    s = str(v).strip()
    if s.startswith("[") and s.endswith("]"):
        try:
            got = json.loads(s)
            if isinstance(got, list):
                return [str(x).strip() for x in got if not _empty(x)]
        except json.JSONDecodeError:
            pass
    return [p.strip() for p in s.split(sep) if p.strip()]


def _is_int(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, str) and re.fullmatch(r"\s*[-+]?\d+\s*", v) is not None


def _is_num(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return math.isfinite(v)
    try:
        return math.isfinite(float(str(v)))
    except ValueError:
        return False


def infer_manifest(rows: list[dict[str, Any]], name: str, title_field: str = "title", list_sep: str = "|",
                   list_fields: Iterable[str] = (), domain: str = "items", noun: str = "item",
                   noun_plural: str | None = None) -> dict[str, Any]:
    """A manifest guessed from the values: types, then filters, display and embedding from the types."""
    names: list[str] = []
    for r in rows:
        names += [k for k in r if k not in names]
    forced = set(list_fields)
    fields: dict[str, dict[str, Any]] = {"id": {"type": "string", "required": True, "display": "hidden",
                                                "embed": False}}
    for k in names:
        if k == "id":
            continue
        vals = [r[k] for r in rows if not _empty(r.get(k))]
        spec: dict[str, Any] = {"required": k == title_field}
        strs = [v for v in vals if isinstance(v, str)]
        if k in forced or any(isinstance(v, list) for v in vals) or (
                k != title_field and strs and sum(list_sep in v for v in strs) >= max(1, 0.2 * len(strs))):
            spec["type"] = "list"
            occurrences = [x for v in vals for x in _as_list(v, list_sep)]
            distinct = set(occurrences)
            if 0 < len(distinct) <= 40 and len(occurrences) >= 3 * len(distinct):  # a small, repeated set: closed
                spec.update(filter="include_exclude", vocabulary=sorted(distinct))
            else:
                spec["filter"] = "member"
            spec.update(display="tags", embed=True)
        elif vals and all(isinstance(v, bool) or str(v).strip().lower() in _BOOLS for v in vals):
            spec.update(type="boolean", display="fact", embed=False)
        elif vals and k != title_field and all(_is_int(v) for v in vals):
            spec.update(type="integer", filter="range", display="badge", embed=k == "year")
            if k == "year":
                spec["unit"] = "year"
        elif vals and k != title_field and all(_is_num(v) for v in vals):
            spec.update(type="number", filter="range", display="badge", embed=False)
        else:
            texts = [str(v) for v in vals]
            avg_words = sum(map(words, texts)) / len(texts) if texts else 0
            if k != title_field and avg_words >= 12:
                spec.update(type="text", display="text", embed=True)
            else:
                distinct = set(texts)
                few = k != title_field and 0 < len(distinct) <= 50 and len(distinct) <= 0.5 * len(texts)
                spec.update(type="string", display="title" if k == title_field else "badge" if few else "fact",
                            embed=True)
                if few:
                    spec["filter"] = "include_exclude"
        if k == "popularity":
            spec.update(display="hidden", embed=False)
            spec.pop("filter", None)
        fields[k] = spec
    if title_field not in fields:
        raise CatalogError(f"no {title_field!r} column: map one, e.g. --map {title_field}=name")
    return {"name": name, "domain": domain, "item_noun": noun, "item_noun_plural": noun_plural or noun + "s",
            "description": f"Imported {len(rows)} {noun_plural or noun + 's'}.", "title_field": title_field,
            "fields": fields}


def _coerce(v: Any, spec: dict[str, Any], sep: str) -> tuple[Any, str | None]:
    """A value converted to the manifest's type, or (None, why)."""
    t = spec["type"]
    if t in ("string", "text"):
        out: Any = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) \
            else str(v)
        out = out.strip()
    elif t == "integer":
        if not _is_num(v) or not float(v).is_integer():
            return None, "not an integer"
        out = int(float(v))
    elif t == "number":
        if not _is_num(v):
            return None, "not a number"
        f = float(v)
        out = int(f) if isinstance(v, int) or (isinstance(v, str) and _is_int(v)) else f
    elif t == "boolean":
        if isinstance(v, bool):
            out = v
        elif str(v).strip().lower() in _BOOLS or str(v).strip() in ("0", "1"):
            out = _BOOLS.get(str(v).strip().lower(), str(v).strip() == "1")
        else:
            return None, "not a boolean"
    else:
        out = _as_list(v, sep)
    vocab = spec.get("vocabulary")
    if vocab is not None:
        lower = {w.lower(): w for w in vocab}
        if isinstance(out, list):
            bad = [x for x in out if x.lower() not in lower]
            out = _dedupe(lower[x.lower()] for x in out if x.lower() in lower)
            if bad:
                return out, "not in vocabulary: " + ", ".join(bad[:3])
        elif str(out).lower() in lower:
            out = lower[str(out).lower()]
        else:
            return None, "not in vocabulary"
    if t in ("integer", "number"):
        lo, hi = spec.get("minimum"), spec.get("maximum")
        if lo is not None and out < lo or hi is not None and out > hi:
            return None, f"outside {lo}..{hi}"
    return out, None


def import_table(path: Path, name: str, mapping: dict[str, str] | None = None, manifest: dict[str, Any] | Path | None
                 = None, settings: Settings | None = None, fmt: str | None = None, list_sep: str = "|",
                 list_fields: Iterable[str] = (), only_mapped: bool = False, domain: str = "items",
                 noun: str = "item", noun_plural: str | None = None) -> ImportResult:
    """(a) A CSV/TSV/JSONL/JSON table: `mapping` is {catalog field: source column}; other columns keep their
    (normalised) names unless `only_mapped`. With a manifest, values are coerced to its types and vocabularies and
    columns it does not declare are ignored; without one, a manifest is inferred from the values."""
    settings = settings or Settings()
    rows = read_rows(Path(path), fmt)
    if not rows:
        raise CatalogError(f"{path}: no records")
    mapping = dict(mapping or {})
    columns: list[str] = []
    for r in rows:
        columns += [c for c in r if c not in columns]
    missing = [f"{k}={c}" for k, c in mapping.items() if c not in columns]
    if missing:
        raise CatalogError(f"--map names column(s) not in {Path(path).name}: {', '.join(missing)}; "
                           f"columns are: {', '.join(columns)}")
    rename = {c: k for k, c in mapping.items()}
    if not only_mapped:
        for c in columns:
            if c not in rename and _field_name(c) not in mapping:
                rename[c] = _field_name(c)
    records = [{rename[c]: v for c, v in r.items() if c in rename} for r in rows]
    warnings: list[str] = []
    if isinstance(manifest, (str, Path)):
        manifest = json.loads(Path(manifest).read_text(encoding="utf-8"))
    if manifest is None:
        man = infer_manifest(records, name, "title", list_sep, list_fields, domain, noun, noun_plural)
    else:
        man = dict(manifest)
        Manifest.model_validate({**man, "name": name})
    fields = man["fields"]
    title_field = man.get("title_field", "title")
    ignored = sorted({k for r in records for k in r if k not in fields})
    if ignored:
        warnings.append(f"ignored fields the manifest does not declare: {', '.join(ignored)}")
    dropped: dict[str, Counter] = defaultdict(Counter)
    items: list[dict[str, Any]] = []
    used: set[str] = set()
    gen_ids = not any(not _empty(r.get("id")) for r in records)
    for r in records:
        it: dict[str, Any] = {}
        for k, spec in fields.items():
            v = r.get(k)
            if k == "id" or _empty(v):
                continue
            out, why = _coerce(v, spec, list_sep)
            if why:
                dropped[k][why] += 1
            if not _empty(out):
                it[k] = out
        if gen_ids:
            base = slug(str(it.get(title_field, "item")) + (f" {it['year']}" if it.get("year") else ""))
            iid, n = base, 1
            while iid in used:
                n += 1
                iid = f"{base}-{n}"
        else:
            iid = "" if _empty(r.get("id")) else str(r["id"]).strip()
        used.add(iid)
        items.append({"id": iid, **it})
    for k, c in dropped.items():
        warnings.append(f"{k}: dropped " + ", ".join(f"{n} value(s) {why}" for why, n in c.most_common(3)))
    dest = write_catalog(name, man, items, settings)
    return ImportResult(name, dest, len(items), {"fields": list(fields), "ids": "generated" if gen_ids else "source"},
                        warnings)


# ---------------------------------------------------------------------------------------------------------------------
# (b) MovieLens + TMDB 5000 + MeLU + Wikipedia


def read_wikipedia(folder: Path) -> list[dict[str, Any]]:
    films: list[dict[str, Any]] = []
    for f in sorted(glob.glob(str(Path(folder) / "*.json"))):
        data = json.loads(Path(f).read_text(encoding="utf-8"))
        if isinstance(data, list):
            films += [d for d in data if isinstance(d, dict) and d.get("title")]
    if not films:
        raise CatalogError(f"{folder}: no Wikipedia film files (*.json arrays)")
    return films


def read_tmdb(path: Path) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            try:
                out[int(r["id"])] = r
            except (KeyError, ValueError):
                continue
    return out


def _json_names(s: str) -> list[str]:
    try:
        return [d["name"] for d in json.loads(s or "[]") if isinstance(d, dict) and d.get("name")]
    except (json.JSONDecodeError, TypeError):
        return []


def read_melu(path: Path) -> dict[int, dict[str, str]]:
    keys = ["id", "title", "year", "rated", "released", "genres", "director", "writer", "actors", "plot", "poster"]
    out: dict[int, dict[str, str]] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("::")
            if len(parts) >= 10 and parts[0].isdigit():
                out[int(parts[0])] = dict(zip(keys, parts))
    return out


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


def cooccurrence_neighbors(users: Any, items: Any, n_items: int, k: int = 50, min_co: int = 1, shrink: float = 2.0,
                           chunk: int = 2048) -> list[list[tuple[int, float]]]:
    """Top-k neighbours per item by shrunk cosine of co-occurrence over the (user, item) pairs given (e.g. ratings
    >= 3.5): co(i,j) / sqrt(n_i * n_j) * co(i,j) / (co(i,j) + shrink), so one shared fan counts for little;
    pairs co-occurring fewer than `min_co` times are ignored. Sparse products in row chunks: memory O(chunk * items)."""
    import numpy as np
    import scipy.sparse as sp

    users = np.asarray(users)
    items = np.asarray(items)
    n_users = int(users.max()) + 1 if len(users) else 0
    out: list[list[tuple[int, float]]] = [[] for _ in range(n_items)]
    if not n_users:
        return out
    r = sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=(n_users, n_items))
    r.data[:] = 1.0  # duplicates (a user rating twice) count once
    rt = r.T.tocsr()
    counts = np.asarray(r.sum(axis=0)).ravel().astype(np.float32)
    norm = np.sqrt(np.maximum(counts, 1.0))
    for s in range(0, n_items, chunk):
        e = min(n_items, s + chunk)
        co = (rt[s:e] @ r).toarray()
        co[np.arange(e - s), np.arange(s, e)] = 0.0
        co[co < min_co] = 0.0
        w = co / norm[s:e, None] / norm[None, :]
        if shrink:
            w *= co / (co + shrink)
        kk = min(k, n_items - 1)
        if kk <= 0:
            break
        top = np.argpartition(-w, kk - 1, axis=1)[:, :kk] if kk < n_items else np.argsort(-w, axis=1)
        for row in range(e - s):
            idx = top[row][w[row, top[row]] > 0]
            idx = idx[np.argsort(-w[row, idx], kind="stable")]
            out[s + row] = [(int(j), round(float(w[row, j]), 4)) for j in idx]
    return out


def _sibling(folder: Path, *parts: str) -> Path | None:
    p = Path(folder).resolve().parent.joinpath(*parts)
    return p if p.exists() else None


def import_movielens(folder: Path, name: str = "movielens", settings: Settings | None = None,
                     tmdb: Path | None | bool = True, melu: Path | None | bool = True,
                     wikipedia: Path | None | bool = True, min_rating: float = 3.5, n_neighbors: int = 50,
                     n_tags: int = 8, n_keywords: int = 20, sequence_epochs: int = 0) -> ImportResult:
    """(b) MovieLens `movies.csv` (+ `links.csv`, `tags.csv`, `ratings.csv`) enriched with TMDB 5000 (via tmdbId),
    MeLU (via movieId) and Wikipedia (normalised title + year within 1). `True` for a source means: look for it next
    to the MovieLens folder (tmdb-5000/, ml-1m-meta-melu/, wikipedia-movie-data/); None or False: do not use it.
    `sequence_epochs` > 0 also trains the catalog's sequence model (`chatrec.sequence`) on every user's ratings in
    time order (ties by movieId), the same sequences the evaluation harness uses."""
    import numpy as np

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
        if tm and _is_num(tm.get("vote_count")) and int(float(tm["vote_count"])) >= 5 and _is_num(tm.get("vote_average")):
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

    # popularity and co-occurrence neighbours from ratings
    neighbors: dict[str, list[list[Any]]] = {}
    sequence = None
    rating = None
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
        arr = np.array([(u, pos[m], rt) for u, m, rt, _ in data if m in pos], dtype=np.float64).reshape(-1, 3)
        counts = np.bincount(arr[:, 1].astype(np.int64), minlength=len(items))
        for it, c in zip(items, counts):
            it["popularity"] = int(c)
        good = arr[arr[:, 2] >= min_rating]
        _, uidx = np.unique(good[:, 0].astype(np.int64), return_inverse=True)
        nb = cooccurrence_neighbors(uidx, good[:, 1].astype(np.int64), len(items), k=n_neighbors)
        neighbors = {items[i]["id"]: [[items[j]["id"], w] for j, w in row] for i, row in enumerate(nb) if row}
        if sequence_epochs > 0:
            from .sequence import SequenceConfig, SequenceModel

            by_user: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for u, m, _, ts in data:
                if m in pos:
                    by_user[u].append((ts, m))
            seqs = [[pos[m] for _, m in sorted(v)] for _, v in sorted(by_user.items())]
            sequence = SequenceModel.train(seqs, [it["id"] for it in items], SequenceConfig(epochs=sequence_epochs))
        from .rating import RatingModel, item_features

        rating = RatingModel.fit([(str(u), items[pos[m]]["id"], rt) for u, m, rt, _ in data if m in pos],
                                 item_groups={it["id"]: it.get("genres", []) for it in items},
                                 item_features=item_features(items, Manifest.model_validate(man)))
    dest = write_catalog(name, man, items, settings, neighbors, sequence, rating)
    stats = {
        "description_20_words": sum(1 for it in items if words(it.get("description")) >= 20),
        "description_source": dict(used),
        "with_runtime": sum(1 for it in items if "runtime_minutes" in it),
        "with_directors": sum(1 for it in items if "directors" in it),
        "with_cast": sum(1 for it in items if "cast" in it),
        "joined": {"tmdb": sum(1 for r in movies if links.get(int(r["movieId"]), -1) in tmdb_rows),
                   "melu": sum(1 for r in movies if int(r["movieId"]) in melu_rows), "wikipedia": n_wiki},
        "ratings": n_ratings, "with_neighbors": len(neighbors), "rating_model": rating is not None,
        "sequence_model": sequence.info if sequence is not None else None,
        "sources": {"tmdb": str(tmdb) if tmdb else None, "melu": str(melu) if melu else None,
                    "wikipedia": str(wikipedia) if wikipedia else None},
        "seconds": round(time.time() - t0, 1),
    }
    return ImportResult(name, dest, len(items), stats)


# ---------------------------------------------------------------------------------------------------------------------
# (c) Wikipedia films on their own


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


# ---------------------------------------------------------------------------------------------------------------------
# Command line: `python -m chatrec catalog import ...`


def add_import_parser(csub: Any) -> None:
    imp = csub.add_parser("import", help="import a catalog (CSV/JSONL with a mapping, MovieLens, Wikipedia films) "
                                         "into <data_dir>/catalogs/NAME")
    isub = imp.add_subparsers(dest="source", required=True)
    for fmt in ("csv", "tsv", "jsonl", "json"):
        t = isub.add_parser(fmt, help=f"a {fmt.upper()} table with a field mapping")
        t.add_argument("path")
        t.add_argument("--name", required=True, help="catalog name (folder under <data_dir>/catalogs)")
        t.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                       help="catalog field from a source column, e.g. --map title=name (repeatable)")
        t.add_argument("--manifest", help="manifest.json to follow (otherwise one is inferred from the values)")
        t.add_argument("--list-sep", default="|", help="separator of list values in text cells (default '|')")
        t.add_argument("--list", action="append", default=[], metavar="FIELD", help="treat FIELD as a list")
        t.add_argument("--only-mapped", action="store_true", help="keep only the --map'ped fields")
        t.add_argument("--domain", default="items")
        t.add_argument("--noun", default="item")
        t.add_argument("--noun-plural", default=None)
    ml = isub.add_parser("movielens", help="MovieLens folder (movies/links/tags/ratings.csv) + TMDB, MeLU, Wikipedia")
    ml.add_argument("folder")
    ml.add_argument("--name", default="movielens")
    for src, what in (("tmdb", "tmdb_5000_movies.csv"), ("melu", "movies_extrainfos.dat"),
                      ("wikipedia", "folder of movies-19x0s.json")):
        ml.add_argument(f"--{src}", default="auto", help=f"{what}; 'auto' (default) looks next to the MovieLens "
                                                         f"folder, 'none' skips it")
    ml.add_argument("--min-rating", type=float, default=3.5, help="ratings counted as liked for neighbours")
    ml.add_argument("--neighbors", type=int, default=50, help="co-occurrence neighbours kept per item")
    ml.add_argument("--sequence-epochs", type=int, default=0,
                    help="train a sequence model on the ratings in time order with this many epochs (default 0: "
                         "none; on ml-latest-small it lowered validation NDCG@10, see docs/results.md)")
    wk = isub.add_parser("wikipedia", help="Wikipedia American films (movies-19x0s.json files)")
    wk.add_argument("folder")
    wk.add_argument("--name", default="wikipedia-films")
    wk.add_argument("--include-without-extract", action="store_true")


def run_import(args: argparse.Namespace, settings: Settings | None = None) -> int:
    settings = settings or Settings()
    if args.source == "movielens":
        def src(v: str) -> Path | bool:
            return True if v == "auto" else False if v == "none" else Path(v)
        res = import_movielens(Path(args.folder), args.name, settings, tmdb=src(args.tmdb), melu=src(args.melu),
                               wikipedia=src(args.wikipedia), min_rating=args.min_rating, n_neighbors=args.neighbors,
                               sequence_epochs=args.sequence_epochs)
    elif args.source == "wikipedia":
        res = import_wikipedia(Path(args.folder), args.name, settings,
                               require_extract=not args.include_without_extract)
    else:
        mapping: dict[str, str] = {}
        for m in args.map:
            if "=" not in m:
                raise CatalogError(f"--map {m!r}: write FIELD=COLUMN, e.g. --map title=name")
            k, c = m.split("=", 1)
            mapping[k.strip()] = c.strip()
        res = import_table(Path(args.path), args.name, mapping, Path(args.manifest) if args.manifest else None,
                           settings, fmt=args.source, list_sep=args.list_sep, list_fields=args.list,
                           only_mapped=args.only_mapped, domain=args.domain, noun=args.noun,
                           noun_plural=args.noun_plural)
    print(json.dumps(res.summary(), indent=2, ensure_ascii=False))
    print(f"next: python -m chatrec catalog index {res.name}", file=sys.stderr)
    return 0
