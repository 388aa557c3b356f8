"""Command line: `python -m chatrec chat|catalog|prepare|bench|load|eval|feedback ...`. Each command group is one
module of this package with `add_parser(sub)` and `run(args)`; this module only wires them and turns chatrec's
errors into a message and an exit status (2: bad input or catalog, 3: model, index or disk)."""
from __future__ import annotations

import argparse
import importlib
import sys

GROUPS = {"chat": "chat", "catalog": "catalog", "prepare": "catalog", "bench": "bench", "load": "bench",
          "eval": "eval", "feedback": "feedback"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chatrec")
    sub = p.add_subparsers(dest="cmd", required=True)
    for mod in dict.fromkeys(GROUPS.values()):
        importlib.import_module(f"chatrec.cli.{mod}").add_parser(sub)
    args = p.parse_args(argv)

    from chatrec.errors import ChatrecError, FaultError, ModelError

    try:
        return importlib.import_module(f"chatrec.cli.{GROUPS[args.cmd]}").run(args)
    except (ModelError, FaultError) as e:  # model file, embedding model, Chroma store, disk: the fix is in the text
        print(f"error: {e}", file=sys.stderr)
        return 3
    except ChatrecError as e:  # a catalog or input that cannot be used: what is wrong and what to do
        print(f"error: {e}", file=sys.stderr)
        return 2
