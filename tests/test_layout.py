"""The tree tells the pipeline, and it stays that way: no import circles between chatrec's modules (counting the
imports a module runs when it is loaded, not those inside functions or under TYPE_CHECKING), the pipeline never
imports the Recommender, every module says why it exists, tests mirror the packages, and the public imports work."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "chatrec"
PACKAGES = ("pipeline", "catalog", "dialogue", "read", "candidates", "rank", "explain", "present", "llm", "bench",
            "cli", "importers", "evaluation")


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def load_time_imports() -> dict[str, set[str]]:
    """module -> the chatrec modules it imports at load time (top level, outside `if TYPE_CHECKING:`)."""
    mods = {_module(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for sub in ([node] if isinstance(node, (ast.Import, ast.ImportFrom)) else []):
                if isinstance(sub, ast.ImportFrom) and sub.module and sub.module.startswith("chatrec"):
                    base = sub.module
                    for a in sub.names:
                        deps.add(f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base)
                elif isinstance(sub, ast.Import):
                    deps |= {a.name for a in sub.names if a.name.startswith("chatrec")}
        graph[mod] = {d for d in deps if d in mods and d != mod and not mod.startswith(d + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_between_chatrec_modules() -> None:
    assert cycles(load_time_imports()) == []


def test_the_pipeline_never_imports_the_recommender_and_transitions_never_import_the_reader() -> None:
    graph = load_time_imports()
    for mod in [m for m in graph if m.startswith("chatrec.pipeline")]:
        assert "chatrec.recommender" not in graph[mod], mod
    assert not any(d.startswith("chatrec.read") for d in graph["chatrec.dialogue.transitions"])
    assert not any(d.startswith("chatrec.read") for d in graph["chatrec.dialogue.understanding"])


def test_the_tree_names_the_pipeline_and_every_module_says_why() -> None:
    for pkg in PACKAGES:
        assert (PKG / pkg / "__init__.py").is_file(), pkg
    flat = sorted(p.name for p in PKG.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "errors.py", "langchain.py", "recommender.py", "settings.py"]
    for path in PKG.rglob("*.py"):
        if path.name == "__main__.py":
            continue
        assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), f"{path} has no docstring"


def test_tests_mirror_the_packages() -> None:
    tests = ROOT / "tests"
    for pkg in ("pipeline", "catalog", "dialogue", "read", "candidates", "rank", "explain", "present", "llm",
                "bench", "cli", "importers", "evaluation"):
        assert list((tests / pkg).glob("test_*.py")), f"tests/{pkg}/ has no tests"
    assert sorted(p.name for p in tests.glob("test_*.py")) == ["test_layout.py", "test_recommender.py"]


def test_public_imports_keep_working() -> None:
    import chatrec

    for name in ("Recommender", "Settings", "Reply", "Session", "DialogueState", "InputError"):
        assert getattr(chatrec, name) is not None
    lc = importlib.import_module("chatrec.langchain")
    assert {"ChatrecRetriever", "ChatrecTool"} <= set(lc.__all__)
    from chatrec.errors import ChatrecError, FaultError, InputError

    assert issubclass(chatrec.InputError, ChatrecError) and issubclass(InputError, ValueError)
    assert issubclass(FaultError, ChatrecError)
