"""Commands the product teaches its users, read before the reader sees the message.

Today one: "relax the runtime" (also drop / lift / loosen / remove / forget / ignore, "the limit on the year", several
fields joined by 'and') drops that field's hard limit. The reply that runs out of items suggests it
(suggestions.relax_phrase), so it must work without a model call: the command is cut out of the message and the
rest goes to the reader as usual."""
from __future__ import annotations

import re

from pydantic import BaseModel, Field

from chatrec.catalog.catalog import Catalog
from chatrec.present.suggestions import field_words

VERB = r"(?:relax|drop|lift|loosen|remove|forget(?:\s+about)?|ignore)"


class Commands(BaseModel):
    relax: list[str] = Field(default_factory=list, description="Fields whose hard limit the user lifted.")
    rest: str = Field("", description="The message without the commands, for the reader.")


def _forms(name: str, spec: object) -> set[str]:
    """'runtime', 'runtime minutes', 'genre', 'genres', 'age rating', 'age ratings', ..."""
    out = set()
    for base in {field_words(name, spec), name.replace("_", " ")}:  # type: ignore[arg-type]
        out |= {base, base.removesuffix("s"), base + "s"} if not base.endswith("ss") else {base}
    return out


def read_commands(text: str, cat: Catalog) -> Commands:
    """Find 'relax the <field>' commands in `text` for this catalog's filterable fields."""
    forms = {f: name for name, spec in cat.manifest.filterable().items() for f in _forms(name, spec)}
    alt = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    one = rf"(?:(?:the|my|that|your)\s+)?(?:(?:limits?|filters?|constraints?)\s+on\s+(?:the\s+)?)?(?:{alt})" \
          rf"(?:\s+(?:limits?|filters?|constraints?))?"
    pattern = re.compile(rf"\b{VERB}\s+{one}(?:\s*(?:,|\band\b|&)\s*{one})*\b", re.I)
    fields: list[str] = []
    for m in pattern.finditer(text):
        for f in re.finditer(rf"\b(?:{alt})\b", m.group(0), re.I):
            name = forms[f.group(0).lower()]
            if name not in fields:
                fields.append(name)
    return Commands(relax=fields, rest=pattern.sub(" ", text).strip() if fields else text)
