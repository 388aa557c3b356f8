"""Outputs of an evaluation: a printed table, JSON (method -> metrics), a Markdown report and a PNG bar plot."""
from __future__ import annotations

import hashlib
import json
import math
import platform
from pathlib import Path
from typing import Any

from chatrec.rank.ranker import WEIGHTS_FILE


def weights_sha256(path: Path = WEIGHTS_FILE) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def machine() -> str:
    import os

    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    except (ValueError, OSError):
        mem = float("nan")
    return f"{os.cpu_count()} cores, {mem:.0f} GiB, {platform.machine()}, Python {platform.python_version()}"


def fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4f}"
    return str(v)


def table(results: dict[str, dict[str, Any]], metrics: list[str]) -> str:
    """Plain-text table: one row per method, each metric with its 95% interval when present."""
    rows = [["method", *metrics, "n"]]
    for name, m in results.items():
        cells = [name]
        for k in metrics:
            v = m.get(k)
            ci = m.get(f"{k}_ci95")
            cells.append("-" if v is None else fmt(v) + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""))
        cells.append(str(m.get("users", m.get("dialogues", m.get("ratings", "")))))
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: dict[str, dict[str, Any]], metrics: list[str],
                   anchors: dict[str, dict[str, float]] | None = None, count_key: str = "users") -> str:
    head = "| method | " + " | ".join(metrics) + f" | {count_key} |"
    lines = [head, "|" + "---|" * (len(metrics) + 2)]
    for name, m in results.items():
        cells = []
        for k in metrics:
            v, ci = m.get(k), m.get(f"{k}_ci95")
            cells.append("-" if v is None else f"{v:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""))
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | {m.get(count_key, '')} |")
    for name, m in (anchors or {}).items():
        cells = [f"{m[k]:.3f}" if k in m else "-" for k in metrics]
        lines.append(f"| {name} (published) | " + " | ".join(cells) + f" | {m.get('n', '')} |")
    return "\n".join(lines)


def plot(path: Path, results: dict[str, dict[str, Any]], metric: str, title: str,
         anchors: dict[str, dict[str, float]] | None = None) -> Path:
    """Bars per method with their 95% bootstrap intervals; published anchors as dashed lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in results if results[n].get(metric) is not None]
    vals = [results[n][metric] for n in names]
    lo = [v - results[n].get(f"{metric}_ci95", [v, v])[0] for n, v in zip(names, vals)]
    hi = [results[n].get(f"{metric}_ci95", [v, v])[1] - v for n, v in zip(names, vals)]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(names) + 2), 4.2))
    colors = ["#c0392b" if n.startswith("chatrec") else "#5d6d7e" for n in names]
    ax.bar(range(len(names)), vals, yerr=[lo, hi], capsize=4, color=colors)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right")
    for n, v in zip(range(len(names)), vals):
        ax.text(n, v + 0.01, f"{v:.3f}", ha="center", va="bottom", fontsize=8)
    for k, (name, a) in enumerate((anchors or {}).items()):
        if metric in a:
            ax.axhline(a[metric], ls="--", lw=1, color=f"C{k % 10}", label=f"{name} (published) {a[metric]:.3f}")
    if anchors:
        ax.legend(fontsize=7, loc="upper left")
    ax.set_ylabel(metric)
    ax.set_title(title, fontsize=10)
    ax.set_ylim(0, min(1.0, max([*vals, 0.1]) * 1.25 + 0.02))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_outputs(results: dict[str, dict[str, Any]], json_path: Path | None, out_dir: Path, stem: str,
                  metrics: list[str], title: str, meta: dict[str, Any], plot_metric: str,
                  anchors: dict[str, dict[str, float]] | None = None, notes: list[str] | None = None,
                  count_key: str = "users") -> dict[str, Path]:
    """JSON (method -> metrics only), Markdown report, PNG; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jp = Path(json_path) if json_path else out_dir / f"{stem}.json"
    jp.parent.mkdir(parents=True, exist_ok=True)
    jp.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    png = plot(out_dir / f"{stem}.png", results, plot_metric, title, anchors)
    md = [f"# {title}", "", markdown_table(results, metrics, anchors, count_key), ""]
    md += [f"- {n}" for n in notes or []]
    md += ["", "```json", json.dumps(meta, indent=2), "```", "", f"![{plot_metric}]({png.name})", ""]
    mp = out_dir / f"{stem}.md"
    mp.write_text("\n".join(md), encoding="utf-8")
    (out_dir / f"{stem}.meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return {"json": jp, "markdown": mp, "png": png}
