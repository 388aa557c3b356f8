"""chatrec web app: `python app.py` (also the Hugging Face Spaces entry point, `app_file: app.py`).

Options (flags win over environment variables):
  --host / CHATREC_HOST (or GRADIO_SERVER_NAME)   default 127.0.0.1; 0.0.0.0 on Spaces (SPACE_ID is set there)
  --port / CHATREC_PORT (or GRADIO_SERVER_PORT)   default 7860
  --mcp  / CHATREC_MCP=1                          also serve Gradio's MCP server (tool "recommend") at
                                                  /gradio_api/mcp/ (schema: /gradio_api/mcp/schema)
  --catalog NAME                                  catalog selected first (default: CHATREC_CATALOG or movies)
  --catalogs A,B / CHATREC_UI_CATALOGS            catalogs offered (default: the shipped movies and products;
                                                  imported catalogs are indexed at start-up, so only on request)
Every other knob (model, Chroma folder, threads...) is a CHATREC_* setting, see chatrec/settings.py.

The page is up at once; the model and index load in a background thread while the page shows their progress.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def _truthy(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true", "yes", "on")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    on_spaces = bool(env.get("SPACE_ID"))
    p = argparse.ArgumentParser(description="Run the chatrec web app.")
    p.add_argument("--host", default=env.get("CHATREC_HOST") or env.get("GRADIO_SERVER_NAME")
                   or ("0.0.0.0" if on_spaces else "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env.get("CHATREC_PORT") or env.get("GRADIO_SERVER_PORT") or 7860))
    p.add_argument("--mcp", action="store_true", default=_truthy(env.get("CHATREC_MCP")),
                   help="also launch Gradio's MCP server (tool: recommend)")
    p.add_argument("--catalog", default=None, help="catalog selected first (movies, products)")
    p.add_argument("--catalogs", default=env.get("CHATREC_UI_CATALOGS"),
                   help="comma-separated catalogs the page offers (default: the shipped ones, movies and products)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from chatrec.settings import Settings
    from ui.app import build_demo, launch
    from ui.runtime import Runtime

    settings = Settings(**({"catalog": args.catalog} if args.catalog else {}))
    rt = Runtime(settings, [c.strip() for c in args.catalogs.split(",") if c.strip()] if args.catalogs else None)
    demo = build_demo(rt)
    print(f"chatrec: http://{args.host}:{args.port}/ (model and index are loading in the background)"
          + (f"; MCP at http://{args.host}:{args.port}/gradio_api/mcp/" if args.mcp else ""), flush=True)
    launch(demo, args.host, args.port, mcp=args.mcp)


if __name__ == "__main__":
    sys.exit(main())
