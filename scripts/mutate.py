#!/usr/bin/env python3
"""Mutation testing: plant one small bug at a time in a module and see whether its tests notice.

    scripts/mutate.py                      every module listed in scripts/mutation.toml
    scripts/mutate.py tray.render tray.state -j 2  chosen modules, two runs at a time
    scripts/mutate.py parsing --list       the mutants only, nothing run
    scripts/mutate.py parsing --only "parse_error_body"   mutants whose id contains this text

Each mutant is one of: a comparison flipped (`<` to `<=`, `==` to `!=`, `in` to `not in`, ...), a
number constant plus or minus one, True and False swapped, `and` and `or` swapped, a returned
value replaced by None, or a statement inside a function deleted. The mutated module is written
into a private copy of the project and the module's own tests (mutation.toml) run against it; a
failing or hanging run kills the mutant, a passing run lets it survive.

Survivors that change nothing a user could observe are listed with the reason in mutation.toml
(`equivalent`); render's pure pixel-size and colour nudges are counted apart (`pixel_scopes` and
`pixel`).
The score is killed / (mutants - equivalent - pixel). A run's details go to .mutation/.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from queue import Queue

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "scripts" / "mutation.toml"
RESULTS = ROOT / ".mutation"
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "dist", "build", ".mutation", "__pycache__", "*.pyc", ".*_cache", ".hypothesis"
)
# Only the headless tests: the display, daemon and bundle suites are too slow to run per mutant.
PYTEST_ARGS = ["-x", "-q", "--no-header", "-p", "no:cacheprovider", "-o", "addopts="]
PYTEST_ARGS += ["-m", "not display and not keyring_daemon and not bundle and not faults"]

COMPARE_FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
# Statements whose bodies hold statements to delete, one at a time.
BODY_HOLDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.If, ast.For, ast.While, ast.With,
                ast.Try, ast.ExceptHandler)  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    id: str
    """Stable across unrelated edits: scope, kind, the code before and after, and a counter."""
    module: str
    line: int
    scope: str
    kind: str
    before: str
    after: str
    path: tuple[int, ...]
    """Where the node sits in the module's tree (child indexes from the root)."""
    variant: int = 0


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # "killed", "timeout", "survived"
    seconds: float


# --- finding mutants ------------------------------------------------------------------------


def _short(node: ast.AST, limit: int = 70) -> str:
    lines = ast.unparse(node).splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _child_slots(node: ast.AST) -> Iterator[tuple[ast.AST, str, int | None]]:
    """Child nodes in a fixed order, each with the field holding it (and its place in a list)."""
    for name, value in ast.iter_fields(node):
        if isinstance(value, list):
            for position, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield item, name, position
        elif isinstance(value, ast.AST):
            yield value, name, None


def _children(node: ast.AST) -> Iterator[tuple[int, ast.AST]]:
    """Child nodes in a fixed order, each with its index (the path step to it)."""
    return enumerate(child for child, _, _ in _child_slots(node))


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_type_checking(stmt: ast.AST) -> bool:
    return isinstance(stmt, ast.If) and ast.unparse(stmt.test) in {
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    }


def _node_at(tree: ast.AST, path: tuple[int, ...]) -> ast.AST:
    node = tree
    for step in path:
        node = dict(_children(node))[step]
    return node


class _Finder:
    """Walks a module and lists every mutation site, skipping what cannot be a behaviour change:
    docstrings, annotations, decorators, imports, TYPE_CHECKING blocks and lines marked
    `pragma: no mutate`."""

    def __init__(self, module: str, source: str) -> None:
        self.module = module
        self.lines = source.splitlines()
        self.found: list[Mutant] = []

    def walk(self, node: ast.AST, path: tuple[int, ...], scope: str, in_function: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or _is_type_checking(node):
            return
        if isinstance(node, ast.stmt) and _is_docstring(node):
            return
        if self._pragma(node):
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = node.name if scope == "<module>" else f"{scope}.{node.name}"
            in_function = in_function or not isinstance(node, ast.ClassDef)
        elif scope == "<module>" and isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            scope = ",".join(ast.unparse(t) for t in targets)
        self.sites(node, path, scope, in_function)
        for index, child in _children(node):
            if self._is_annotation(node, child) or self._is_decorator(node, child):
                continue
            self.walk(child, (*path, index), scope, in_function)

    @staticmethod
    def _is_annotation(parent: ast.AST, child: ast.AST) -> bool:
        if isinstance(parent, ast.arg):
            return child is parent.annotation
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return child is parent.returns
        if isinstance(parent, ast.AnnAssign):
            return child is parent.annotation
        return False

    @staticmethod
    def _is_decorator(parent: ast.AST, child: ast.AST) -> bool:
        # `@dataclass(frozen=True)` and the like: mypy already holds the code to what they say.
        decorated = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        return isinstance(parent, decorated) and any(child is d for d in parent.decorator_list)

    def _pragma(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", None)
        return line is not None and "pragma: no mutate" in self.lines[line - 1]

    def add(self, node: ast.AST, path: tuple[int, ...], scope: str, kind: str, after: str,
            variant: int = 0) -> None:  # fmt: skip
        line = getattr(node, "lineno", 0)
        mutant = Mutant("", self.module, line, scope, kind, _short(node), after, path, variant)
        self.found.append(mutant)

    def sites(self, node: ast.AST, path: tuple[int, ...], scope: str, in_function: bool) -> None:
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                flipped = copy.deepcopy(node)
                flipped.ops[i] = COMPARE_FLIPS[type(op)]()
                self.add(node, path, scope, "compare", _short(flipped), i)
        elif isinstance(node, ast.BoolOp):
            swapped = ast.BoolOp(
                ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values
            )
            self.add(node, path, scope, "boolop", _short(swapped))
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            self.add(node, path, scope, "bool", repr(not node.value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            self.add(node, path, scope, "number", repr(node.value + 1), 1)
            self.add(node, path, scope, "number", repr(node.value - 1), -1)
        returns_none = isinstance(node, ast.Return) and (
            node.value is None
            or (isinstance(node.value, ast.Constant) and node.value.value is None)
        )
        if isinstance(node, ast.Return) and not returns_none:
            self.add(node, path, scope, "return", "return None")
        if in_function and isinstance(node, BODY_HOLDERS):
            for index, child in _children(node):
                if isinstance(child, ast.stmt) and self._deletable(child):
                    self.add(child, (*path, index), scope, "delete", "pass")

    def _deletable(self, stmt: ast.stmt) -> bool:
        plain = (ast.Pass, ast.Return, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        if isinstance(stmt, plain) or _is_docstring(stmt) or self._pragma(stmt):
            return False
        return not isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal))


def find_mutants(module: str, source: str) -> list[Mutant]:
    finder = _Finder(module, source)
    finder.walk(ast.parse(source), (), "<module>", in_function=False)
    seen: Counter[str] = Counter()
    named = []
    for m in finder.found:
        base = f"{module}:{m.scope}:{m.kind}:{m.before} -> {m.after}"
        seen[base] += 1
        suffix = f" #{seen[base]}" if seen[base] > 1 else ""
        named.append(replace(m, id=base + suffix))
    return named


def mutated_source(source: str, mutant: Mutant) -> str:
    tree = ast.parse(source)
    node = _node_at(tree, mutant.path)
    if mutant.kind == "compare":
        assert isinstance(node, ast.Compare)
        node.ops[mutant.variant] = COMPARE_FLIPS[type(node.ops[mutant.variant])]()
    elif mutant.kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif mutant.kind == "bool":
        assert isinstance(node, ast.Constant)
        node.value = not node.value
    elif mutant.kind == "number":
        assert isinstance(node, ast.Constant)
        node.value = node.value + mutant.variant
    elif mutant.kind == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(None)
    else:
        _replace_child(_node_at(tree, mutant.path[:-1]), mutant.path[-1], ast.Pass())
    return ast.unparse(ast.fix_missing_locations(tree))


def _replace_child(parent: ast.AST, index: int, replacement: ast.AST) -> None:
    _, name, position = list(_child_slots(parent))[index]
    if position is None:
        setattr(parent, name, replacement)
    else:
        getattr(parent, name)[position] = replacement


# --- running them ---------------------------------------------------------------------------


def run_tests(workdir: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    env = dict(os.environ, PYTHONPATH=str(workdir), PYTHONDONTWRITEBYTECODE="1")
    env["DEEPGRAM_TRAY_HYPOTHESIS_PROFILE"] = "mutation"  # fewer examples per property test
    env.pop("DEEPGRAM_TRAY_TEST_REQUIRE_DISPLAY", None)
    started = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *PYTEST_ARGS, *tests],
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started
    # Any failure kills, collection and usage errors (exit 2-5) included.
    status = "survived" if result.returncode == 0 else "killed"
    return status, time.monotonic() - started


def module_path(module: str) -> Path:
    return Path("trayapp", *module.split(".")).with_suffix(".py")


def run_module(module: str, tests: list[str], mutants: list[Mutant], jobs: int) -> list[Outcome]:
    source = (ROOT / module_path(module)).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="mutants-") as scratch:
        workdirs: Queue[Path] = Queue()
        for n in range(jobs):
            workdir = Path(scratch, str(n))
            shutil.copytree(ROOT, workdir, ignore=COPY_IGNORE)
            workdirs.put(workdir)
        baseline_dir = workdirs.get()
        # The unmutated module, round-tripped through the same unparser, must pass.
        (baseline_dir / module_path(module)).write_text(ast.unparse(ast.parse(source)), "utf-8")
        status, baseline = run_tests(baseline_dir, tests, timeout=600)
        (baseline_dir / module_path(module)).write_text(source, "utf-8")
        workdirs.put(baseline_dir)
        if status != "survived":
            raise SystemExit(f"{module}: its tests fail without any mutant ({' '.join(tests)}).")
        timeout = baseline * 3 + 10

        def one(mutant: Mutant) -> Outcome:
            workdir = workdirs.get()
            target = workdir / module_path(module)
            try:
                target.write_text(mutated_source(source, mutant), "utf-8")
                status, seconds = run_tests(workdir, tests, timeout)
            finally:
                target.write_text(source, "utf-8")
                workdirs.put(workdir)
            return Outcome(mutant, status, seconds)

        with ThreadPoolExecutor(jobs) as pool:
            outcomes = []
            for done, outcome in enumerate(pool.map(one, mutants), 1):
                outcomes.append(outcome)
                mark = "." if outcome.status != "survived" else "S"
                print(mark, end="" if done % 80 else "\n", flush=True)
            print()
    return outcomes


# --- reporting ------------------------------------------------------------------------------


@dataclass
class Score:
    module: str
    mutants: int
    killed: int
    equivalent: int
    pixel: int
    survivors: list[Outcome]
    seconds: float

    @property
    def counted(self) -> int:
        return self.mutants - self.equivalent - self.pixel

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0


def is_pixel(mutant: Mutant, settings: dict[str, object]) -> bool:
    """A number nudged in a drawing function or colour (`pixel_scopes`), or a mutant listed as one
    that only moves pixels (`pixel`)."""
    scopes = list(settings.get("pixel_scopes", []))  # type: ignore[call-overload]
    listed = dict(settings.get("pixel", {}))  # type: ignore[call-overload]
    return mutant.id in listed or (mutant.kind == "number" and mutant.scope.split(".")[0] in scopes)


def score(module: str, outcomes: list[Outcome], settings: dict[str, object],
          seconds: float) -> Score:  # fmt: skip
    equivalent = dict(settings.get("equivalent", {}))  # type: ignore[call-overload]
    killed = equivalent_count = pixel = 0
    survivors = []
    for outcome in outcomes:
        mutant = outcome.mutant
        if outcome.status != "survived":
            killed += 1
        elif mutant.id in equivalent:
            equivalent_count += 1
        elif is_pixel(mutant, settings):
            pixel += 1
        else:
            survivors.append(outcome)
    # Pixel mutants a test kills anyway still count as kills; only surviving ones are set apart.
    return Score(module, len(outcomes), killed, equivalent_count, pixel, survivors, seconds)


def print_report(scores: list[Score]) -> None:
    for s in scores:
        for outcome in s.survivors:
            m = outcome.mutant
            print(f"SURVIVED {module_path(m.module)}:{m.line}  {m.id}")
    print()
    print("| module | mutants | killed | equivalent | pixel | score | minutes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for s in scores:
        print(f"| {s.module} | {s.mutants} | {s.killed} | {s.equivalent} | {s.pixel} | "
              f"{s.percent:.0f}% | {s.seconds / 60:.1f} |")  # fmt: skip


def stale_equivalents(module: str, mutants: list[Mutant], settings: dict[str, object]) -> list[str]:
    """Entries of the equivalent list that no longer name a mutant (the code moved on)."""
    known = {m.id for m in mutants}
    listed = dict(settings.get("equivalent", {}))  # type: ignore[call-overload]
    listed |= dict(settings.get("pixel", {}))  # type: ignore[call-overload]
    return [key for key in listed if key not in known]


def main(argv: list[str] | None = None) -> int:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    modules_config: dict[str, dict[str, object]] = config["modules"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules under trayapp/ (default: all listed)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--only", help="run only mutants whose id contains this text")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in modules_config]
    if unknown:
        parser.error(f"not in {CONFIG.name}: {', '.join(unknown)}")
    scores = []
    for module in args.modules or list(modules_config):
        settings = modules_config[module]
        source = (ROOT / module_path(module)).read_text(encoding="utf-8")
        mutants = find_mutants(module, source)
        for key in stale_equivalents(module, mutants, settings):
            print(f"warning: {CONFIG.name} lists an equivalent mutant that no longer exists: {key}")
        if args.only:
            mutants = [m for m in mutants if args.only in m.id]
        if args.list:
            for m in mutants:
                print(f"{module_path(module)}:{m.line}  {m.id}")
            continue
        tests = list(settings["tests"])  # type: ignore[call-overload]
        print(f"== {module}: {len(mutants)} mutants against {' '.join(tests)}")
        started = time.monotonic()
        outcomes = run_module(module, tests, mutants, args.jobs)
        scores.append(score(module, outcomes, settings, time.monotonic() - started))
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{module}.json").write_text(
            json.dumps([{**asdict(o.mutant), "status": o.status} for o in outcomes], indent=1),
            encoding="utf-8",
        )
    if scores:
        print_report(scores)
    return 1 if any(s.survivors for s in scores) else 0


if __name__ == "__main__":
    sys.exit(main())
