"""(a) A generic CSV / TSV / JSONL / JSON table with a field mapping, and a manifest given or inferred from it.

    python -m chatrec catalog import csv books.csv --name books --map title=name --map year=published
    python -m chatrec catalog import jsonl items.jsonl --name shop --manifest my_manifest.json
"""
from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chatrec.catalog.manifest import Manifest
from chatrec.errors import CatalogError
from chatrec.importers.common import ImportResult, _dedupe, slug, words, write_catalog
from chatrec.settings import Settings

csv.field_size_limit(sys.maxsize)


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
