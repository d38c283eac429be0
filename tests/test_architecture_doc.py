"""docs/architecture.md is the picture of the house: every module it names exists (with the
function or class it names), and every package and module directly under chalicelib/ is in
its tree of the layers. Read statically (no imports), so a rename or a new module fails here
until the picture is redrawn."""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
LIB = ROOT / "chalicelib"
# top-level names a dotted reference may start with: chalicelib's own, and app.py
ROOTS = {p.stem for p in LIB.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()} | {"app"}
ROOTS.discard("__init__")
FILE_SUFFIXES = {"py", "sqlite3", "json", "html", "md", "toml", "jpeg", "yaml", "js"}


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _tree() -> str:
    """The fenced block that draws the layers (the one that starts with app.py)."""
    for block in re.findall(r"```[a-z]*\n(.*?)```", _text(), flags=re.S):
        if block.lstrip().startswith("app.py"):
            return block
    raise AssertionError("docs/architecture.md has no tree of the layers (a block starting app.py)")


def _module_file(parts: list[str]) -> Path | None:
    """The file of a dotted module path (``catalog.dynamodb`` → its ``__init__.py``)."""
    base = ROOT if parts[0] == "app" else LIB
    path = base.joinpath(*parts)
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    if path.with_suffix(".py").exists():
        return path.with_suffix(".py")
    return None


@functools.cache
def _names(file: Path) -> frozenset[str]:
    """Top-level names a module defines or imports (functions, classes, assignments)."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return frozenset(names)


def _dotted_problem(ref: str) -> str | None:
    """None when ``pkg.module[.name]`` exists; else what is missing."""
    parts = ref.split(".")
    for cut in range(len(parts), 0, -1):
        file = _module_file(parts[:cut])
        if file is None:
            continue
        rest = parts[cut:]
        if not rest:
            return None
        if rest[0] in _names(file) or (file.name == "__init__.py" and
                                       _module_file(parts[:cut] + rest[:1]) is not None):
            return None
        return f"{'.'.join(parts[:cut])} has no {rest[0]!r}"
    return "no such module"


def _references() -> list[str]:
    found = []
    for token in re.findall(r"`([^`\n]+)`", _text()):
        token = token.strip().rstrip("()")
        if re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+", token) and \
                token.split(".")[0] in ROOTS and token.rsplit(".", 1)[1] not in FILE_SUFFIXES:
            found.append(token)
        elif re.fullmatch(r"[\w/.-]+\.py|chalicelib/[\w/.-]*", token):
            found.append(token)
    return sorted(set(found))


def _path_exists(ref: str) -> bool:
    ref = ref.rstrip("/")
    return any((base / ref).exists() for base in (ROOT, LIB))


def test_the_picture_names_references_to_check():
    refs = _references()
    assert len(refs) > 20 and any("/" in r for r in refs) and any("." in r and "/" not in r for r in refs)


@pytest.mark.parametrize("ref", _references())
def test_every_module_the_picture_names_exists(ref):
    if "/" in ref or ref.endswith(".py"):
        assert _path_exists(ref), f"docs/architecture.md names {ref}, which does not exist"
    else:
        problem = _dotted_problem(ref)
        assert problem is None, f"docs/architecture.md names {ref}: {problem}"


def test_every_name_in_the_tree_of_layers_exists():
    """A row's bare file names are its package's (``web/ … (edge.py …)``): found anywhere
    under chalicelib/ they count."""
    for token in re.findall(r"[\w./]+(?:\.py|/)", _tree()):
        bare = "/" not in token.rstrip("/")
        assert _path_exists(token) or (bare and any(LIB.rglob(token.rstrip("/")))), \
            f"the tree of the layers names {token}, which does not exist"


@pytest.mark.parametrize("entry", sorted(
    p.name + ("/" if p.is_dir() else "") for p in LIB.iterdir()
    if p.name != "__init__.py" and (p.suffix == ".py" or (p / "__init__.py").exists())))
def test_every_package_and_module_of_chalicelib_is_in_the_tree(entry):
    assert re.search(rf"(?<![\w/.]){re.escape(entry)}(?![\w])", _tree()), \
        f"chalicelib/{entry} is missing from the tree of the layers in docs/architecture.md"


def test_the_check_itself_catches_a_missing_module_and_name():
    assert _dotted_problem("jobs.lifecycle.launch") is None
    assert _dotted_problem("jobs.lifecycle.no_such_function") == "jobs.lifecycle has no 'no_such_function'"
    assert _dotted_problem("jobs.no_such_module") is not None
    assert not _path_exists("web/no_such_module.py")
