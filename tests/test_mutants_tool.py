"""tools/mutants.py, the mutation check: its operators make the expected one-line mutants, its
sample is deterministic, and its runner tells killed, survived and timed-out mutants apart on a
toy module with a toy test."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def mutants():
    spec = importlib.util.spec_from_file_location("mutants_tool", ROOT / "tools" / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


SAMPLE = '''\
import hmac


def check(a, b, items, n):
    if a == b and not items:
        return True
    for item in items:
        if item < n:
            break
        log.info("skipped %s", item)
        items.remove(item)
    total = n + 1
    return hmac.compare_digest(a, b) or min(total, 3) >= 2  # é


def ignored(x: dict[str, int]) -> Literal[1]:
    return x - 1  # pragma: no mutate
'''


def changes(mutants, source=SAMPLE):
    return {(m.line, m.operator, m.describe(source)[1]) for m in mutants.mutants_of(source, "sample.py")}


def test_each_operator_makes_its_one_line_mutant(mutants):
    found = changes(mutants)
    expected = {
        (5, "comparison", "if a != b and not items:"),
        (5, "and/or", "if a == b or not items:"),
        (5, "not removed", "if a == b and items:"),
        (6, "return bool", "return False"),
        (8, "comparison", "if item <= n:"),
        (9, "break/continue", "continue"),
        (11, "call dropped", "pass"),
        (12, "arithmetic", "total = n - 1"),
        (12, "off by one", "total = n + 0"),
        (13, "compare_digest → ==", "return (a == b) or min(total, 3) >= 2  # é"),
        (13, "min/max", "return hmac.compare_digest(a, b) or max(total, 3) >= 2  # é"),
        (13, "comparison", "return hmac.compare_digest(a, b) or min(total, 3) > 2  # é"),
    }
    assert expected <= found
    # A log line is not dropped, annotations and a line marked "no mutate" are left alone.
    assert not any(line == 10 for line, _, _ in found)
    assert not any(line >= 16 for line, _, _ in found), sorted(found)


def test_a_mutant_changes_one_line_and_compiles(mutants):
    lines = SAMPLE.splitlines()
    for mutant in mutants.mutants_of(SAMPLE, "sample.py"):
        changed = mutant.apply(SAMPLE).splitlines()
        if mutant.operator != "call dropped":
            assert len(changed) == len(lines)
            assert [i for i, (a, b) in enumerate(zip(lines, changed)) if a != b] == [mutant.line - 1]
        compile(mutant.apply(SAMPLE), "sample.py", "exec")


def test_what_is_only_shown_or_logged_is_left_alone(mutants):
    source = 'x = f"{y[:80]} of {n + 1}"\nlog.info("%s", z[:5] == 1)\nlogs.event("e", path=p[:200])\n'
    assert mutants.mutants_of(source) == []


def test_a_multiline_comparison_operand_keeps_its_place(mutants):
    source = "x = (f(1,\n      2) <\n     3)\n"
    assert all(m.apply(source).count("\n") == 3 for m in mutants.mutants_of(source))


def test_the_sample_is_deterministic(mutants):
    every = mutants.mutants_of(SAMPLE, "sample.py")
    first = mutants.sample(every, 5, 7, "sample.py")
    assert first == mutants.sample(every, 5, 7, "sample.py")
    assert len(first) == 5 and first == sorted(first, key=lambda m: (m.line, m.col))
    assert mutants.sample(every, 0, 7, "sample.py") == every
    assert any(mutants.sample(every, 5, seed, "sample.py") != first for seed in range(8, 12))


TOY = '''\
def double(n):
    return n + n


def positive(n):
    return n > 0


def countdown(n):
    while n > 0:
        n -= 1
    return n
'''

TOY_TEST = '''\
from toy import countdown, double, positive


def test_toy():
    assert double(2) == 4
    assert positive(5)
    assert countdown(3) == 0
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A toy project; its pytest runs without the plugins installed here (hypothesis and the
    like take a second to import)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (tmp_path / "toy.py").write_text(TOY)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_toy.py").write_text(TOY_TEST)
    return tmp_path


def test_the_runner_tells_killed_survived_and_timed_out_apart(mutants, toy):
    every = {(m.line, m.replacement): m for m in mutants.mutants_of(TOY, "toy.py")}
    chosen = [every[(2, "-")], every[(6, ">=")], every[(11, "+=")]]
    with mutants.Forker(toy, preload=("pytest",)) as forker:
        report = mutants.run_module(toy, "toy.py", chosen, ["tests"], floor=1.5, retry=0, forker=forker)
        spent = mutants.run_modules(toy, [("toy.py", chosen, ["tests"]), ("toy.py", chosen[:1], ["tests"]),
                                          ("empty.py", [], ["tests"])], forker=forker, deadline=0, progress=True)
    assert [r.outcome for r in report.results] == ["killed", "survived", "timeout"]
    assert report.ratio == pytest.approx(2 / 3)
    assert (toy / "toy.py").read_text() == TOY  # restored
    text = mutants.render([report], copied="a toy", seed=1, per_module=0,
                          when=mutants.datetime.now(mutants.UTC), seconds=1)
    assert "| toy.py | 3 (3) | 1 | 1 | 1 | 67 % |" in text
    assert "- toy.py:6 (comparison): `return n > 0` → `return n >= 0`" in text
    # A spent time budget leaves the sample unrun, and says so.
    assert [(r.results, r.note) for r in spent] == [
        ([], "3 of its 3 sampled mutants not run: the time budget (--budget) was spent"),
        ([], "1 of its 1 sampled mutants not run: the time budget (--budget) was spent"),
        ([], "")]  # a module without mutants costs no run


def test_the_benchmarks_quote_the_last_check(mutants, toy):
    from bench import bench_mutants

    assert "`make mutants`" in bench_mutants.section(None)
    report = mutants.ModuleReport("toy.py", ["tests"], total=3, baseline_s=0.1)
    report.results = [mutants.Result(m, outcome, 0.1) for m, outcome in zip(
        mutants.mutants_of(TOY, "toy.py")[:3], ["killed", "survived", "timeout"])]
    record = mutants.summary([report], copied="commit abc1234",
                             when=mutants.datetime(2026, 12, 1, 9, 30, tzinfo=mutants.UTC))
    text = bench_mutants.section(record)
    assert "(2026-12-01 09:30 UTC, commit abc1234)" in text
    assert "| toy.py | 3 | 2 | 1 | 67 % |" in text
    assert "Total: 2 of 3 killed (67 %); 1 survived" in text


def test_a_new_interpreter_per_run_counts_the_same(mutants, toy):
    (toy / "toy.py").write_text(TOY.replace("n + n", "n - n"))
    outcome, _, code = mutants.run_tests(toy, ["tests"], timeout=60)
    assert (outcome, code) == ("killed", 1)
