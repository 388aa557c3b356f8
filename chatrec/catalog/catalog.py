"""Catalogs: a folder with `items.jsonl`, `manifest.json` and `errata.json`; loading, validation, lookup.

A catalog is data. What was learned from interactions in the same folder (neighbours, sequence and rating models) is
loaded beside it as `catalog.learned` (`chatrec.rank.signals.learned.Learned`), the one place code reaches it."""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from chatrec.catalog.manifest import FieldSpec, Manifest
from chatrec.errors import CatalogError
from chatrec.settings import Settings

if TYPE_CHECKING:
    from chatrec.rank.signals.learned import Learned
    from chatrec.read.lexicon import Lexicon


@dataclass
class Problem:
    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "") + (f" [{self.field}]" if self.field else "")
        return f"{where}: {self.message}"


def norm_title(title: str) -> str:
    """Accent-, article- and punctuation-free title for matching what users type."""
    t = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower().strip()
    m = re.match(r"^(.*), (the|a|an)$", t)
    if m:
        t = f"{m.group(2)} {m.group(1)}"
    t = re.sub(r"^(the|a|an) ", "", t).replace("&", "and")
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


def _type_ok(spec: FieldSpec, value: Any) -> bool:
    if spec.type in ("string", "text"):
        return isinstance(value, str)
    if spec.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if spec.type == "list":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, bool)


def check_item(item: Any, manifest: Manifest, file: str, line: int) -> list[Problem]:
    """Every problem of one record against the manifest (types, required fields, vocabularies, units)."""
    if not isinstance(item, dict):
        return [Problem(file, line, None, "a record must be a JSON object")]
    out: list[Problem] = []
    for name in item:
        if name not in manifest.fields:
            out.append(Problem(file, line, name, "field is not declared in manifest.json"))
    for name, spec in manifest.fields.items():
        value = item.get(name)
        if value is None or value == "" or value == []:
            if spec.required:
                out.append(Problem(file, line, name, "required field is missing or empty"))
            continue
        if not _type_ok(spec, value):
            unit = f" in {spec.unit}" if spec.unit else ""
            out.append(Problem(file, line, name, f"expected {spec.type}{unit}, got {json.dumps(value)[:60]}"))
            continue
        values = value if isinstance(value, list) else [value]
        if spec.vocabulary is not None:
            for v in values:
                if v not in spec.vocabulary:
                    out.append(Problem(file, line, name, f"{v!r} is not in the manifest's vocabulary"))
        if spec.type in ("integer", "number"):
            unit = f" {spec.unit}" if spec.unit else ""
            if spec.minimum is not None and value < spec.minimum or spec.maximum is not None and value > spec.maximum:
                out.append(Problem(file, line, name, f"{value}{unit} is outside {spec.minimum}..{spec.maximum}{unit}"
                                   " (wrong unit?)"))
    return out


def validate_folder(path: Path) -> list[Problem]:
    """All problems in a catalog folder; an empty list means it is valid."""
    path = Path(path)
    problems: list[Problem] = []
    mpath, ipath = path / "manifest.json", path / "items.jsonl"
    for p in (mpath, ipath):
        if not p.exists():
            problems.append(Problem(str(p), None, None, "file is missing"))
    if problems:
        return problems
    try:
        manifest = Manifest.model_validate_json(mpath.read_text(encoding="utf-8"))
    except ValidationError as e:
        return [Problem(str(mpath), None, ".".join(map(str, err["loc"])) or None, err["msg"]) for err in e.errors()]
    seen: dict[str, int] = {}
    refs: list[tuple[int, str, str]] = []
    ref_fields = [k for k, f in manifest.fields.items() if f.references]
    with open(ipath, encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as e:
                problems.append(Problem(str(ipath), n, None, f"not valid JSON: {e.msg}"))
                continue
            problems += check_item(item, manifest, str(ipath), n)
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                if item["id"] in seen:
                    line = seen[item["id"]]
                    problems.append(Problem(str(ipath), n, "id", f"duplicate id {item['id']!r} (first on line {line})"))
                seen.setdefault(item["id"], n)
                for k in ref_fields:
                    refs += [(n, k, v) for v in item.get(k) or [] if isinstance(v, str)]
    for n, k, v in refs:
        if v not in seen:
            problems.append(Problem(str(ipath), n, k, f"refers to unknown id {v!r}"))
    epath = path / "errata.json"
    if epath.exists():
        try:
            json.loads(epath.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            problems.append(Problem(str(epath), e.lineno, None, f"not valid JSON: {e.msg}"))
    return problems


def _nothing_learned() -> Learned:
    """An empty `Learned` for catalogs built in code (evaluation splits, tests) without interaction data."""
    from chatrec.rank.signals.learned import Learned

    return Learned()


PEOPLE_FIELDS = ("cast", "directors", "writers", "authors", "artists", "creators", "people")


@dataclass
class Catalog:
    """A loaded, validated catalog. Read-only after loading, so sessions can share it."""

    name: str
    path: Path
    manifest: Manifest
    items: list[dict[str, Any]]
    learned: Learned = field(default_factory=_nothing_learned)  # neighbours, sequence and rating models: rank/signals

    @classmethod
    def load(cls, name_or_path: str | Path, settings: Settings | None = None) -> "Catalog":
        """Load by name (searched in the settings' catalog folders) or by folder path."""
        path = resolve_catalog(name_or_path, settings or Settings())
        problems = validate_folder(path)
        if problems:
            shown = "\n".join(f"  {p}" for p in problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise CatalogError(f"catalog {path} has {len(problems)} problem(s); "
                               f"run `python -m chatrec catalog validate {path}`:\n{shown}{more}")
        manifest = Manifest.model_validate_json((path / "manifest.json").read_text(encoding="utf-8"))
        items = [json.loads(l) for l in open(path / "items.jsonl", encoding="utf-8") if l.strip()]
        from chatrec.rank.signals.learned import Learned  # rank depends on catalog, not the other way at load time

        return cls(manifest.name, path, manifest, items, Learned.load(path))

    @cached_property
    def by_id(self) -> dict[str, dict[str, Any]]:
        return {it["id"]: it for it in self.items}

    @cached_property
    def people(self) -> dict[str, str]:
        """Lower-cased name -> name of everyone in the people fields (cast, directors, authors...): the only people
        a preference can name, so words the model mistakes for names ("How are you?") are dropped."""
        fields = [f for f in self.manifest.fields if f in PEOPLE_FIELDS]
        return {str(p).lower(): str(p) for it in self.items for f in fields for p in (it.get(f) or [])
                if isinstance(it.get(f), list)}

    @cached_property
    def attribute_index(self) -> dict[str, list[str]]:
        """Lower-cased person, keyword or tag -> ids of the items that have it, most popular first: lets retrieval
        fetch "films with Robert Downey Jr." or "about new york" directly instead of hoping the embedding finds them."""
        out: dict[str, list[str]] = {}
        fields = [f for f in self.manifest.fields if f in PEOPLE_FIELDS or f in ("keywords", "tags")]
        for it in sorted(self.items, key=lambda x: -float(x.get("popularity") or 0)):
            for f in fields:
                for v in it.get(f) or [] if isinstance(it.get(f), list) else []:
                    ids = out.setdefault(str(v).lower(), [])
                    if not ids or ids[-1] != it["id"]:
                        ids.append(it["id"])
        return out

    @cached_property
    def lexicon(self) -> "Lexicon":
        """The reader's word tables for this catalog: its manifest's words plus the values its items have in
        include/exclude fields without a vocabulary (languages), when there are few of them."""
        from chatrec.read.lexicon import Lexicon

        values: dict[str, list[str]] = {}
        for name, spec in self.manifest.filterable().items():
            if spec.filter == "include_exclude" and not spec.vocabulary and spec.type == "string":
                seen = sorted({str(it[name]) for it in self.items if it.get(name)})
                if 0 < len(seen) <= 80:
                    values[name] = seen
        keywords: dict[str, str] = {}
        for name, spec in self.manifest.fields.items():  # traits two or more items share: soft wishes when named
            if spec.filter == "member" and not spec.vocabulary and name not in PEOPLE_FIELDS:
                df: dict[str, int] = {}
                for it in self.items:
                    for k in {str(v).lower() for v in it.get(name) or []}:
                        df[k] = df.get(k, 0) + 1
                keywords.update({k: name for k, n in df.items() if n >= 2 and k not in keywords})
        return Lexicon.from_manifest(self.manifest, values, keywords)

    def values_of(self, name: str) -> list[str]:
        """The values a user may name for an include/exclude field: its vocabulary, else those items have."""
        spec = self.manifest.fields.get(name)
        if spec is not None and spec.vocabulary:
            return list(spec.vocabulary)
        return sorted({val for f, val in self.lexicon.phrases.values() if f == name})

    @cached_property
    def description_df(self) -> dict[str, int]:
        """Word -> number of items whose description uses it: tells a one-word title that is also an ordinary word
        ("Chicago", "Halloween", "Manhattan" appear in other plots) from a coined one ("Casablanca")."""
        df: dict[str, int] = {}
        for it in self.items:
            for w in set(re.findall(r"[a-z0-9]+", str(it.get("description") or "").lower())):
                df[w] = df.get(w, 0) + 1
        return df

    @cached_property
    def _people_by_first_word(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for low in self.people:
            words = low.split()
            if len(words) >= 2:  # one-word names ("Madonna") collide with ordinary words
                out.setdefault(words[0], []).append(low)
        for v in out.values():
            v.sort(key=len, reverse=True)  # the longest name wins ("Robert Downey Jr." over "Robert Downey")
        return out

    def people_in(self, text: str) -> list[str]:
        """People of the catalog named (full name, two or more words) in `text`, in order of appearance."""
        low = text.lower()
        found: list[str] = []
        for m in re.finditer(r"[\w'-]+", low):
            for name in self._people_by_first_word.get(m.group(0), []):
                if re.match(rf"{re.escape(name)}(?![\w])", low[m.start():]):
                    if self.people[name] not in found:
                        found.append(self.people[name])
                    break
        return found

    @cached_property
    def _titles(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for it in self.items:
            out.setdefault(norm_title(self.title(it)), []).append(it["id"])
        return out

    def title(self, item: dict[str, Any]) -> str:
        return str(item.get(self.manifest.title_field, item["id"]))

    def label(self, item: dict[str, Any]) -> str:
        """Title with its year when the catalog has years: what users and explanations see."""
        return f"{self.title(item)} ({item['year']})" if item.get("year") else self.title(item)

    def document(self, item: dict[str, Any]) -> str:
        """The text embedded for retrieval: every field the manifest marks `embed`."""
        parts = []
        for k in self.manifest.embedded():
            v = item.get(k)
            if v in (None, "", []):
                continue
            v = ", ".join(v) if isinstance(v, list) else str(v)
            parts.append(v if k in (self.manifest.title_field, "description") else f"{k.replace('_', ' ')}: {v}")
        return ". ".join(parts)

    def find_title(self, text: str, year: int | None = None, cutoff: float = 88.0) -> str | None:
        """Resolve a title the user typed to a catalog id (exact normalised match first, then fuzzy)."""
        from rapidfuzz import fuzz, process

        key = norm_title(text)
        if not key:
            return None
        ids = self._titles.get(key)
        if not ids:
            hit = process.extractOne(key, list(self._titles), scorer=fuzz.ratio, score_cutoff=cutoff)
            if not hit:
                return None
            ids = self._titles[hit[0]]
        if year is not None:
            near = [i for i in ids if abs(int(self.by_id[i].get("year") or 0) - year) <= 1]
            ids = near or ids
        return max(ids, key=lambda i: float(self.by_id[i].get("popularity") or 0))

    def popularity(self, item_id: str) -> float:
        return float(self.by_id[item_id].get("popularity") or 0.0)


def resolve_catalog(name_or_path: str | Path, settings: Settings) -> Path:
    p = Path(name_or_path)
    if p.is_dir():
        return p
    for d in [*settings.catalog_dirs, settings.data_dir / "catalogs"]:
        if (Path(d) / str(name_or_path) / "manifest.json").exists():
            return Path(d) / str(name_or_path)
    known = sorted({c.name for d in [*settings.catalog_dirs, settings.data_dir / "catalogs"] if Path(d).is_dir()
                    for c in Path(d).iterdir() if (c / "manifest.json").exists()})
    raise CatalogError(f"no catalog named {str(name_or_path)!r}; known catalogs: {', '.join(known) or 'none'}")
