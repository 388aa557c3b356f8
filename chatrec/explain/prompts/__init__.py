"""Prompts as template files, one per kind of model call (Jinja2, pinned), so a prompt can be read and changed
without reading the code that sends it. The rendered text must stay byte-stable for the same inputs: llama.cpp
reuses its cache only while the front of a prompt is unchanged, so templates keep their whitespace exact
(`keep_trailing_newline`, no trimming) and a missing value is an error, never an empty string."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), undefined=jinja2.StrictUndefined,
                              autoescape=False, keep_trailing_newline=True)


def render(name: str, **values: Any) -> str:
    """The template `name` (a file in this folder, e.g. 'explain_system.j2') filled with `values`."""
    return _env().get_template(name).render(**values)
