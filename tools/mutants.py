#!/usr/bin/env python3
"""A small mutation check: plant one realistic bug at a time in the product's modules and see
whether the tests that cover the module notice.

Each mutant is a single precise textual change found on the module's AST: a comparison flipped
(``==``/``!=``, ``<``/``<=``, ``>``/``>=``, ``in``/``not in``, ``is``/``is not``), ``and``/``or``
swapped, a ``not`` removed, an integer constant off by one (one less; 0 becomes 1), ``+``/``-``
swapped, ``min``/``max`` swapped, ``return True``/``return False`` swapped, a call statement
dropped (``pass``), ``hmac.compare_digest(a, b)`` made ``a == b`` and ``break``/``continue``
swapped. Annotations, f-strings and logging calls are left alone, and so is a line marked
``# pragma: no mutate``.

The mutants run in a temporary copy of the repository (``git archive HEAD`` by default, or the
working tree with ``--worktree``), never in the working tree itself: for each mutant the module
is rewritten in the copy, only the tests mapped to it run (``-x``, with a timeout of a few times
their baseline), and the module is restored. Each run is a fork of one warm process that has
already imported pytest, its plugins and the heavy libraries (never the product). A seeded
sample of ``--per-module`` mutants per module keeps a run to minutes; the same seed always
picks the same mutants, and ``--budget`` bounds the minutes. It needs only the standard
library and pytest.

It is a report, not a gate: it exits 0 unless the tool itself breaks (or, with
``--min-ratio``, when the total kill ratio is below it). The report goes to stdout,
``test-artifacts/mutants.md`` and ``test-artifacts/mutants.json`` (which ``make bench`` quotes).

    python tools/mutants.py                       # the default targets, 15 mutants each
    python tools/mutants.py chalicelib/rules/share.py --per-module 0   # every mutant of one module
    python tools/mutants.py --list chalicelib/web/admin.py             # the mutants, not run
"""
from __future__ import annotations

import argparse
import ast
import io
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_TARGETS = (
    "chalicelib/jobs",
    "chalicelib/rules",
    "chalicelib/web/edge.py",
    "chalicelib/web/admin.py",
    "chalicelib/web/wsgi.py",
    "chalicelib/catalog/_jobs.py",
    "chalicelib/catalog/memory.py",
)

# Which tests cover which module: pytest arguments, the quickest and most direct first (the run
# stops at the first failure). A module missing here gets the test files that import it.
TESTS: dict[str, str] = {
    "chalicelib/jobs/bulk.py": "tests/pools/test_bulk_plan.py tests/jobs tests/pools/test_service.py",
    "chalicelib/jobs/lifecycle.py": "tests/jobs tests/text2image/test_service.py",
    "chalicelib/jobs/plan.py": "tests/pools/test_bulk_plan.py tests/jobs/test_steps.py",
    "chalicelib/jobs/record.py": "tests/jobs tests/text2image/test_service.py",
    "chalicelib/jobs/runners.py": "tests/jobs",
    "chalicelib/jobs/steps.py": "tests/jobs tests/text2image/test_service.py",
    "chalicelib/jobs/text2image.py": "tests/text2image/test_request.py tests/text2image/test_service.py tests/jobs",
    "chalicelib/rules/bandit.py": "tests/learning tests/api/test_garden_api.py",
    "chalicelib/rules/credits.py": "tests/share",
    "chalicelib/rules/cursors.py": "tests/hardening/test_jsontext.py tests/catalog/test_sqlite_catalog.py",
    "chalicelib/rules/emotions.py": "tests/pools/test_prompts.py tests/faces/test_service.py tests/zones/test_zone_rules.py",
    "chalicelib/rules/favorites.py": "tests/pools/test_bulk_plan.py tests/pools/test_service.py tests/api/test_garden_api.py",
    "chalicelib/rules/jsontext.py": "tests/hardening/test_jsontext.py tests/api/test_hostile_input.py",
    "chalicelib/rules/layout.py": "tests/pools/test_original_data.py tests/pools/test_bulk_plan.py tests/zones/test_zone_rules.py",
    "chalicelib/rules/original.py": "tests/pools/test_original_data.py tests/pools/test_original_requests.py",
    "chalicelib/rules/prompts.py": "tests/pools/test_prompts.py",
    "chalicelib/rules/provenance.py": "tests/jobs/test_steps.py tests/text2image/test_api.py tests/pools/test_pool_api.py",
    "chalicelib/rules/redact.py": "tests/api/test_hostile_input.py",
    "chalicelib/rules/share.py": "tests/share",
    "chalicelib/rules/times.py": "tests/learning tests/jobs/test_steps.py",
    "chalicelib/rules/validation.py": "tests/text2image/test_validation.py tests/text2image/test_request.py",
    "chalicelib/rules/zones.py": "tests/zones/test_zone_rules.py tests/zones/test_zone_api.py",
    "chalicelib/web/admin.py": "tests/pools/test_admin_auth.py tests/api/test_edge_policies.py "
                               "tests/text2image/test_api.py::test_text2image_is_rate_limited_per_client_locally",
    "chalicelib/web/edge.py": "tests/api/test_edge_policies.py tests/api/test_garden_api.py tests/api/test_hostile_input.py",
    "chalicelib/web/wsgi.py": "tests/api/test_local_server.py tests/display/test_display_site.py",
    # The rules the three job stores share: memory and SQLite show them (DynamoDB's moto is slow).
    "chalicelib/catalog/_jobs.py": "tests/catalog/test_job_store_contract.py tests/catalog/test_sqlite_catalog.py "
                                   "-k 'not dynamodb'",
    "chalicelib/catalog/memory.py": "tests/catalog -k memory",
}

ARTIFACTS = ROOT / "test-artifacts"
PRAGMA = "pragma: no mutate"
# Calls whose arguments are only told, never acted on: no mutants in them, nor in f-strings.
QUIET_CALLS = {"log", "logs", "logger", "_log", "LOG", "logging", "warnings", "print"}


# ---------------------------------------------------------------------------------------------
# Mutants


@dataclass(frozen=True)
class Mutant:
    """One textual change: the source between (line, col) and (end_line, end_col) — columns in
    characters, lines from 1 — becomes ``replacement``."""
    path: str
    operator: str
    line: int
    col: int
    end_line: int
    end_col: int
    original: str
    replacement: str

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        start = sum(len(x) for x in lines[:self.line - 1]) + self.col
        end = sum(len(x) for x in lines[:self.end_line - 1]) + self.end_col
        assert source[start:end] == self.original, (self, source[start:end])
        return source[:start] + self.replacement + source[end:]

    def describe(self, source: str) -> tuple[str, str]:
        """The changed line before and after (the first line, for a change over several)."""
        before = source.splitlines()[self.line - 1]
        after = self.apply(source).splitlines()[self.line - 1]
        if self.end_line > self.line:
            before += " …"
        return before.strip(), after.strip()


_SWAPS = {
    ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="), ast.GtE: (">=", ">"), ast.In: ("in", "not in"),
    ast.NotIn: ("not in", "in"), ast.Is: ("is", "is not"), ast.IsNot: ("is not", "is"),
    ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.And: ("and", "or"), ast.Or: ("or", "and"),
}


def _quiet(call: ast.Call) -> bool:
    """A logging call (log.info, logs.event, print…)."""
    func = call.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in QUIET_CALLS


def _span(node: ast.AST) -> tuple[int, int, int, int]:
    """Where a node's source is: line, byte column, end line, end byte column."""
    line, col = getattr(node, "lineno"), getattr(node, "col_offset")
    end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    assert end_line is not None and end_col is not None, node
    return line, col, end_line, end_col


class _Finder(ast.NodeVisitor):
    def __init__(self, source: str, path: str) -> None:
        self.path = path
        self.lines = source.splitlines(keepends=True)
        self.found: list[Mutant] = []

    # Positions: ast gives UTF-8 byte columns; Mutant keeps characters.
    def _char(self, line: int, col: int) -> int:
        return len(self.lines[line - 1].encode("utf-8")[:col].decode("utf-8", "replace"))

    def _text(self, line: int, col: int, end_line: int, end_col: int) -> str:
        if line == end_line:
            return self.lines[line - 1][col:end_col]
        return (self.lines[line - 1][col:] + "".join(self.lines[line:end_line - 1])
                + self.lines[end_line - 1][:end_col])

    def add(self, operator: str, line: int, col: int, end_line: int, end_col: int,
            replacement: str, *, chars: bool = False) -> None:
        if not chars:
            col, end_col = self._char(line, col), self._char(end_line, end_col)
        if any(PRAGMA in self.lines[n - 1] for n in range(line, end_line + 1)):
            return
        original = self._text(line, col, end_line, end_col)
        if original != replacement:
            self.found.append(Mutant(self.path, operator, line, col, end_line, end_col, original,
                                     replacement))

    def add_node(self, operator: str, node: ast.AST, replacement: str) -> None:
        self.add(operator, *_span(node), replacement)

    def node_text(self, node: ast.AST) -> str:
        line, col, end_line, end_col = _span(node)
        return self._text(line, self._char(line, col), end_line, self._char(end_line, end_col))

    def between(self, operator: str, left: ast.AST, right: ast.AST, token: str, new: str) -> None:
        """Swap the operator ``token`` standing between two nodes on one line (parentheses and
        spaces around it allowed, nothing else)."""
        _, _, line, end = _span(left)
        right_line, right_col, _, _ = _span(right)
        if line != right_line:
            return
        start, stop = self._char(line, end), self._char(line, right_col)
        gap = self.lines[line - 1][start:stop]
        core = gap.strip(" ()\t")
        if " ".join(core.split()) != token:
            return
        at = start + gap.index(core)
        self.add(operator, line, at, line, at + len(core), new, chars=True)

    # Skip annotations: they are not behaviour.
    def generic_visit(self, node: ast.AST) -> None:
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "type_params", "type_comment"):
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        left: ast.AST = node.left
        for op, right in zip(node.ops, node.comparators):
            old, new = _SWAPS[type(op)]
            self.between("comparison", left, right, old, new)
            left = right
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        old, new = _SWAPS[type(node.op)]
        for left, right in zip(node.values, node.values[1:]):
            self.between("and/or", left, right, old, new)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        texts = (ast.JoinedStr, ast.List, ast.Tuple)
        stringy = any(isinstance(side, texts) or (isinstance(side, ast.Constant)
                                                  and isinstance(side.value, (str, bytes)))
                      for side in (node.left, node.right))
        if type(node.op) in (ast.Add, ast.Sub) and not stringy:
            old, new = _SWAPS[type(node.op)]
            self.between("arithmetic", node.left, node.right, old, new)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        stringy = isinstance(node.value, ast.JoinedStr) or (
            isinstance(node.value, ast.Constant) and isinstance(node.value.value, (str, bytes)))
        if type(node.op) in (ast.Add, ast.Sub) and not stringy:
            old, new = _SWAPS[type(node.op)]
            self.between("arithmetic", node.target, node.value, old + "=", new + "=")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            text = self._text(node.lineno, self._char(node.lineno, node.col_offset), node.operand.lineno,
                              self._char(node.operand.lineno, node.operand.col_offset))
            if node.lineno == node.operand.lineno and text.startswith("not"):
                self.add("not removed", node.lineno, node.col_offset, node.operand.lineno,
                         node.operand.col_offset, text[3:].lstrip())
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # One off-by-one per integer (one less; 0 becomes 1): a limit, an index, a retry count.
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool) and node.lineno == node.end_lineno:
            self.add_node("off by one", node, str(value - 1 if value > 0 else 1))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        pass  # what a message shows is not behaviour

    def visit_Return(self, node: ast.Return) -> None:
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            self.add_node("return bool", value, str(not value.value))
            return
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call) and not _quiet(node.value):
            self.add_node("call dropped", node, "pass")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if _quiet(node):
            return
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "compare_digest" and len(node.args) == 2 and not node.keywords:
            a, b = (self.node_text(arg) for arg in node.args)
            self.add_node("compare_digest → ==", node, f"({a} == {b})")
        if isinstance(func, ast.Name) and func.id in ("min", "max"):
            self.add_node("min/max", func, "max" if func.id == "min" else "min")
        self.generic_visit(node)

    def visit_Break(self, node: ast.Break) -> None:
        self.add_node("break/continue", node, "continue")

    def visit_Continue(self, node: ast.Continue) -> None:
        self.add_node("break/continue", node, "break")


def mutants_of(source: str, path: str = "<module>") -> list[Mutant]:
    """Every mutant of a module's source, in source order; each one compiles."""
    finder = _Finder(source, path)
    finder.visit(ast.parse(source))
    seen: set[tuple[int, int, int, int, str]] = set()
    valid = []
    for mutant in sorted(finder.found, key=lambda m: (m.line, m.col, m.end_line, m.end_col, m.replacement)):
        key = (mutant.line, mutant.col, mutant.end_line, mutant.end_col, mutant.replacement)
        if key in seen:
            continue
        seen.add(key)
        try:
            compile(mutant.apply(source), path, "exec")
        except SyntaxError:
            continue
        valid.append(mutant)
    return valid


def sample(mutants: Sequence[Mutant], count: int, seed: int | str, path: str) -> list[Mutant]:
    """A deterministic sample of ``count`` mutants (all of them when count <= 0), in source order.
    The choice for one module depends only on the seed, its path and its mutants."""
    if count <= 0 or count >= len(mutants):
        return list(mutants)
    chosen = random.Random(f"{seed}:{path}").sample(range(len(mutants)), count)
    return [mutants[i] for i in sorted(chosen)]


# ---------------------------------------------------------------------------------------------
# Running


KILLED, SURVIVED, TIMEOUT, ERROR = "killed", "survived", "timeout", "error"


@dataclass
class Result:
    mutant: Mutant
    outcome: str
    seconds: float
    before: str = ""
    after: str = ""


@dataclass
class ModuleReport:
    path: str
    tests: list[str]
    total: int = 0  # mutants of the module, before sampling
    baseline_s: float | None = None
    note: str = ""
    results: list[Result] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.results)

    @property
    def ratio(self) -> float | None:
        ran = self.count(KILLED) + self.count(SURVIVED) + self.count(TIMEOUT)
        return (self.count(KILLED) + self.count(TIMEOUT)) / ran if ran else None


def _kill_group(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# A warm process that has imported pytest, its plugins and the heavy third-party libraries once
# (never the product) and forks a fresh child for each run: about two seconds saved per mutant.
_FORKER = r"""
import importlib, importlib.metadata, json, os, signal, sys, time
for name in PRELOAD:
    try:
        importlib.import_module(name)
    except Exception:
        pass
for entry in () if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") else importlib.metadata.entry_points(group="pytest11"):
    try:
        entry.load()
    except Exception:
        pass
assert not any(m == "chalicelib" or m.startswith("chalicelib.") or m == "app" for m in sys.modules)
child = 0
def stop(*_):
    if child:
        try:
            os.killpg(child, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    os._exit(143)
signal.signal(signal.SIGTERM, stop)
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    ask = json.loads(line)
    started = time.perf_counter()
    pid = child = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.setsid()
            out = os.open(ask["log"] or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(out, 1)
            os.dup2(out, 2)
            import pytest
            code = int(pytest.main(ask["args"]))
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            code = 3
        os._exit(code)
    deadline = started + ask["timeout"]
    code = None
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        if time.perf_counter() > deadline:
            break
        time.sleep(0.02)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if code is None:
        os.waitpid(pid, 0)
    child = 0
    print(json.dumps({"code": code, "seconds": time.perf_counter() - started}), flush=True)
"""
PRELOAD = ("pytest", "chalice", "chalice.app", "chalice.test", "boto3", "botocore.session", "botocore.stub",
           "moto", "moto.core", "PIL.Image", "requests", "urllib3", "waitress", "jsonpath_ng")
PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-m", "not slow")


def _environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(workdir), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a mutant of the same size and second must never hit a stale .pyc
    return env


class Forker:
    """The warm process for one copy; ``run`` returns pytest's exit code (None: timed out) and
    the seconds it took."""

    def __init__(self, workdir: Path, python: str = sys.executable,
                 preload: Sequence[str] = PRELOAD) -> None:
        code = f"PRELOAD = {tuple(preload)!r}\n" + _FORKER
        self.process = subprocess.Popen([python, "-c", code], cwd=workdir, env=_environment(workdir),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        start_new_session=True)
        ready = self.process.stdout.readline()  # type: ignore[union-attr]
        if not ready:
            raise RuntimeError("mutants: the warm pytest process did not start")

    def run(self, args: Sequence[str], timeout: float, log: Path | None) -> tuple[int | None, float]:
        ask = {"args": [*args, *PYTEST_ARGS], "timeout": timeout, "log": str(log) if log else None}
        self.process.stdin.write(json.dumps(ask) + "\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        answer = json.loads(self.process.stdout.readline())  # type: ignore[union-attr]
        return answer["code"], answer["seconds"]

    def close(self) -> None:
        """Ends the warm process and a run it may still be waiting for."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _kill_group(self.process)
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream:
                stream.close()

    def __enter__(self) -> Forker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def run_tests(workdir: Path, args: Sequence[str], timeout: float, python: str = sys.executable,
              log: Path | None = None, forker: Forker | None = None) -> tuple[str, float, int | None]:
    """Run pytest on ``args`` in ``workdir`` (its own modules first on the path), in a fork of
    ``forker`` or else a new interpreter; the outcome as a mutant would count it: survived (the
    tests passed), killed, timeout or error (pytest's usage errors, no tests). Whatever the
    tests started is ended with them."""
    if forker is not None:
        code, seconds = forker.run(args, timeout, log)
    else:
        out = open(log, "wb") if log else subprocess.DEVNULL
        started = time.perf_counter()
        try:
            process = subprocess.Popen([python, "-m", "pytest", *args, *PYTEST_ARGS], cwd=workdir,
                                       env=_environment(workdir), stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                code = None
            _kill_group(process)
            process.wait()
        finally:
            if log:
                out.close()  # type: ignore[union-attr]
        seconds = time.perf_counter() - started
    if code is None:
        return TIMEOUT, seconds, None
    if code == 0:
        return SURVIVED, seconds, code
    if code in (1, 2, 3) or code < 0:  # failed, interrupted (an import error), internal error, crashed
        return KILLED, seconds, code
    return ERROR, seconds, code


def tests_for(workdir: Path, path: str) -> list[str]:
    """The mapped pytest arguments for a module, those naming missing files dropped; else the
    test files importing it."""
    if path in TESTS:
        args = shlex.split(TESTS[path])
        options = {i for i, a in enumerate(args) if a.startswith("-") or (i and args[i - 1] == "-k")}
        kept = [a for i, a in enumerate(args) if i in options or (workdir / a.split("::")[0]).exists()]
        if len(kept) > len(options):
            return kept
    module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    package, _, name = module.rpartition(".")
    pattern = re.compile(rf"\b{re.escape(module)}\b|from {re.escape(package)} import [^\n]*\b{name}\b")
    found = sorted(str(p.relative_to(workdir)) for p in (workdir / "tests").rglob("test_*.py")
                   if pattern.search(p.read_text(encoding="utf-8", errors="replace")))
    return found


def prepare(workdir: Path, path: str, mutants: Sequence[Mutant], tests: Sequence[str], *,
            baselines: dict[tuple[str, ...], float], python: str = sys.executable,
            forker: Forker | None = None) -> ModuleReport:
    """The module's report, its tests' baseline time measured (once per set of tests); a note
    instead when there are no tests or they fail without a mutant."""
    report = ModuleReport(path, list(tests), total=len(mutants))
    if not mutants:
        return report
    if not tests:
        report.note = "no tests mapped"
        return report
    key = tuple(tests)
    if key not in baselines:
        log = workdir / ".mutants-baseline.log"
        outcome, seconds, code = run_tests(workdir, tests, timeout=600, python=python, log=log, forker=forker)
        if outcome != SURVIVED:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            report.note = f"the tests fail without a mutant ({outcome}, exit {code}): " + " / ".join(tail)
            return report
        baselines[key] = seconds
    report.baseline_s = baselines[key]
    return report


def run_mutant(workdir: Path, report: ModuleReport, mutant: Mutant, timeout: float, *,
               retry: float = 3.0, python: str = sys.executable, forker: Forker | None = None) -> Result:
    """Run one mutant against its module's tests; the module is restored afterwards, whatever
    happens. A timeout is tried once more with ``retry`` times the time (a loaded machine is
    slow too; 0: no second try), and only then counted."""
    target = workdir / mutant.path
    source = target.read_text(encoding="utf-8")
    try:
        target.write_text(mutant.apply(source), encoding="utf-8")
        outcome, seconds, _ = run_tests(workdir, report.tests, timeout=timeout, python=python, forker=forker)
        if outcome == TIMEOUT and retry:
            outcome, seconds, _ = run_tests(workdir, report.tests, timeout=retry * timeout, python=python,
                                            forker=forker)
    finally:
        target.write_text(source, encoding="utf-8")
    before, after = mutant.describe(source)
    result = Result(mutant, outcome, seconds, before, after)
    report.results.append(result)
    return result


def run_modules(workdir: Path, plan: Sequence[tuple[str, Sequence[Mutant], Sequence[str]]], *,
                factor: float = 3.0, floor: float = 15.0, retry: float = 3.0, python: str = sys.executable,
                forker: Forker | None = None, deadline: float | None = None,
                progress: bool = False) -> list[ModuleReport]:
    """Run the mutants of several modules (path, mutants, tests), a timeout of ``factor`` times
    the tests' baseline (at least ``floor`` seconds) each. They take turns — the first mutant of
    each module, then the second… — so a time budget (``deadline``, on time.monotonic) that runs
    out leaves every module with a fair share of its sample."""
    baselines: dict[tuple[str, ...], float] = {}
    reports = []
    for path, mutants, tests in plan:
        report = prepare(workdir, path, mutants, tests, baselines=baselines, python=python, forker=forker)
        reports.append(report)
        if progress:
            state = report.note or (f"{report.baseline_s:.1f} s" if report.baseline_s is not None else "—")
            print(f"mutants: {path}: {len(mutants)} mutants; tests: {' '.join(tests) or '—'} ({state})",
                  file=sys.stderr, flush=True)
    queues = [(report, list(mutants)) for report, (_, mutants, _) in zip(reports, plan)
              if report.baseline_s is not None]
    turn = 0
    while any(queue for _, queue in queues):
        turn += 1
        for report, queue in queues:
            if not queue:
                continue
            if deadline is not None and time.monotonic() > deadline:
                for report, queue in queues:
                    if queue:
                        report.note = (f"{len(queue)} of its {len(report.results) + len(queue)} sampled "
                                       "mutants not run: the time budget (--budget) was spent")
                return reports
            assert report.baseline_s is not None
            result = run_mutant(workdir, report, queue.pop(0), max(floor, factor * report.baseline_s),
                                retry=retry, python=python, forker=forker)
            if progress:
                print(f"  [{turn}] {report.path}:{result.mutant.line} {result.mutant.operator}: "
                      f"{result.outcome} ({result.seconds:.1f} s)", file=sys.stderr, flush=True)
    return reports


def run_module(workdir: Path, path: str, mutants: Sequence[Mutant], tests: Sequence[str], *,
               factor: float = 3.0, floor: float = 15.0, retry: float = 3.0, python: str = sys.executable,
               forker: Forker | None = None) -> ModuleReport:
    """Run each mutant of one module (``path``, relative to ``workdir``) against ``tests``."""
    return run_modules(workdir, [(path, mutants, tests)], factor=factor, floor=floor, retry=retry,
                       python=python, forker=forker)[0]


def copy_repository(root: Path, into: Path, worktree: bool) -> str:
    """The repository's files in ``into``: HEAD's (git archive), or the working tree's tracked
    and untracked-but-not-ignored files. Returns what was copied, for the report."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                            text=True, check=True).stdout.strip()
    if not worktree:
        data = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=root, capture_output=True,
                              check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(into, filter="data")
        return f"commit {commit}"
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=root, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        source = root / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                           text=True).stdout.strip()
    return f"commit {commit}" + (" with uncommitted changes (working tree)" if dirty else " (working tree)")


def check_imports_from(workdir: Path, python: str) -> None:
    """The copy's chalicelib, not the editable install's, is what the tests import."""
    env = dict(os.environ, PYTHONPATH=str(workdir), PYTHONDONTWRITEBYTECODE="1")
    found = subprocess.run([python, "-c", "import chalicelib; print(chalicelib.__file__)"], cwd=workdir,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(workdir.resolve()):
        raise SystemExit(f"mutants: the copy imports chalicelib from {found}, not from {workdir}")


def module_paths(root: Path, targets: Iterable[str]) -> list[str]:
    paths: list[str] = []
    for target in targets:
        where = root / target
        if where.is_dir():
            paths += sorted(str(p.relative_to(root)) for p in where.glob("*.py") if p.name != "__init__.py")
        elif where.is_file():
            paths.append(target)
        else:
            raise SystemExit(f"mutants: no module or package {target}")
    return paths


# ---------------------------------------------------------------------------------------------
# Reporting


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f} %"


def render(reports: Sequence[ModuleReport], *, copied: str, seed: int | str, per_module: int,
           when: datetime, seconds: float) -> str:
    killed = sum(r.count(KILLED) for r in reports)
    survived = sum(r.count(SURVIVED) for r in reports)
    timeouts = sum(r.count(TIMEOUT) for r in reports)
    errors = sum(r.count(ERROR) for r in reports)
    ran = killed + survived + timeouts
    lines = [
        "# Mutation check",
        "",
        f"Written by `make mutants` (tools/mutants.py) on {when:%Y-%m-%d %H:%M} UTC for {copied}, "
        f"in {seconds / 60:.0f} min; seed {seed}, {per_module if per_module > 0 else 'all'} mutants "
        "per module, sampled.",
        "",
        "A mutant is killed when its module's tests fail (or time out) with it; the kill ratio "
        "counts timeouts as killed.",
        "",
        "| module | mutants (of) | killed | survived | timeouts | kill ratio | tests | baseline s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        tests = " ".join(r.tests) if r.tests else "—"
        baseline = f"{r.baseline_s:.1f}" if r.baseline_s is not None else "—"
        lines.append(f"| {r.path} | {len(r.results)} ({r.total}) | {r.count(KILLED)} | {r.count(SURVIVED)} | "
                     f"{r.count(TIMEOUT)} | {_ratio(r.ratio)} | {tests} | {baseline} |")
    total = (killed + timeouts) / ran if ran else None
    lines += ["", f"**Total: {killed + timeouts} of {ran} mutants killed ({_ratio(total)}); "
              f"{survived} survived, {timeouts} timed out" + (f", {errors} errors" if errors else "") + ".**"]
    notes = [f"- {r.path}: {r.note}" for r in reports if r.note]
    if notes:
        lines += ["", "Notes:", "", *notes]
    survivors = [res for r in reports for res in r.results if res.outcome == SURVIVED]
    lines += ["", "## Survivors", ""]
    if not survivors:
        lines.append("None.")
    for res in survivors:
        m = res.mutant
        lines.append(f"- {m.path}:{m.line} ({m.operator}): `{res.before}` → `{res.after}`")
    return "\n".join(lines) + "\n"


def summary(reports: Sequence[ModuleReport], *, copied: str, when: datetime) -> dict[str, object]:
    ran = [res for r in reports for res in r.results if res.outcome != ERROR]
    dead = [res for res in ran if res.outcome in (KILLED, TIMEOUT)]
    return {
        "when": f"{when:%Y-%m-%d %H:%M}",
        "copied": copied,
        "mutants": len(ran),
        "killed": len(dead),
        "ratio": len(dead) / len(ran) if ran else None,
        "modules": [{"path": r.path, "mutants": len(r.results), "killed": r.count(KILLED) + r.count(TIMEOUT),
                     "survived": r.count(SURVIVED), "ratio": r.ratio, "note": r.note} for r in reports],
        "survivors": [dict(asdict(res.mutant), before=res.before, after=res.after)
                      for r in reports for res in r.results if res.outcome == SURVIVED],
    }


# ---------------------------------------------------------------------------------------------


def run_all(workdir: Path, paths: Sequence[str], args: argparse.Namespace,
            forker: Forker | None) -> list[ModuleReport]:
    plan = []
    for path in paths:
        every = mutants_of((workdir / path).read_text(encoding="utf-8"), path)
        plan.append((path, sample(every, args.per_module, args.seed, path), tests_for(workdir, path), len(every)))
    deadline = time.monotonic() + 60 * args.budget if args.budget else None
    reports = run_modules(workdir, [(path, chosen, tests) for path, chosen, tests, _ in plan],
                          factor=args.factor, forker=forker, deadline=deadline, progress=True)
    for report, (_, _, _, total) in zip(reports, plan):
        report.total = total
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/mutants.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help=f"modules or packages (default: {' '.join(DEFAULT_TARGETS)})")
    parser.add_argument("--per-module", type=int, default=int(os.environ.get("MUTANTS_PER_MODULE", 15)),
                        help="mutants sampled per module; 0: all (default 15, or $MUTANTS_PER_MODULE)")
    parser.add_argument("--seed", default=os.environ.get("MUTANTS_SEED", "1"), help="the sample's seed")
    parser.add_argument("--worktree", action="store_true",
                        help="mutate a copy of the working tree (default: of HEAD)")
    parser.add_argument("--factor", type=float, default=3.0,
                        help="a mutant times out after this many times its tests' baseline (default 3)")
    parser.add_argument("--min-ratio", type=float, default=None,
                        help="exit 1 when the total kill ratio (0 to 1) is below this")
    parser.add_argument("--budget", type=float, default=float(os.environ.get("MUTANTS_BUDGET", 0)),
                        help="minutes after which no new mutant starts (the report says what was "
                             "left); default: none, or $MUTANTS_BUDGET")
    parser.add_argument("--no-fork", action="store_true",
                        help="start a new interpreter for each run (default: fork a warm one)")
    parser.add_argument("--list", action="store_true", help="list the sampled mutants; run nothing")
    parser.add_argument("--out", default=str(ARTIFACTS / "mutants.md"))
    args = parser.parse_args(argv)

    if args.list:
        paths = module_paths(ROOT, args.targets or DEFAULT_TARGETS)
        for path in paths:
            source = (ROOT / path).read_text(encoding="utf-8")
            every = mutants_of(source, path)
            chosen = sample(every, args.per_module, args.seed, path)
            print(f"{path}: {len(chosen)} of {len(every)} mutants")
            for m in chosen:
                before, after = m.describe(source)
                print(f"  {m.line}: {m.operator}: {before}  →  {after}")
        return 0

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # restore the copy, end the warm process
    when = datetime.now(UTC)
    started = time.perf_counter()
    reports: list[ModuleReport] = []
    with tempfile.TemporaryDirectory(prefix="garden-mutants-") as tmp:
        workdir = Path(tmp)
        copied = copy_repository(ROOT, workdir, args.worktree)
        check_imports_from(workdir, sys.executable)
        paths = module_paths(workdir, args.targets or DEFAULT_TARGETS)
        print(f"mutants: {len(paths)} modules, {copied}, copied to {workdir}", file=sys.stderr)
        forker = None if args.no_fork else Forker(workdir)
        try:
            reports = run_all(workdir, paths, args, forker)
        finally:
            if forker:
                forker.close()
    seconds = time.perf_counter() - started
    text = render(reports, copied=copied, seed=args.seed, per_module=args.per_module, when=when,
                  seconds=seconds)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    figures = summary(reports, copied=copied, when=when)
    out.with_suffix(".json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    print(text)
    print(f"mutants: wrote {out} and {out.with_suffix('.json')}", file=sys.stderr)
    total = figures["ratio"]
    assert total is None or isinstance(total, float)
    if args.min_ratio is not None and (total is None or total < args.min_ratio):
        print(f"mutants: kill ratio {_ratio(total)} is under {_ratio(args.min_ratio)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
