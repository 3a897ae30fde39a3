"""The mutation tool (scripts/mutate.py) plants the bugs it says, and its lists stay current."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutate", ROOT / "scripts" / "mutate.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    sys.modules["mutate"] = tool  # dataclasses look their module up by name
    spec.loader.exec_module(tool)
    return tool


mutate = load_tool()
CONFIG = mutate.tomllib.loads(mutate.CONFIG.read_text(encoding="utf-8"))["modules"]

SAMPLE = '''
"""Docstring."""
LIMIT = 10


def level(total: int, warn: int = 5) -> str:
    """Not mutated."""
    if total < warn and total != 0:
        return "low"
    print("checked")
    return "ok" if total is not None else "none"
'''


def test_each_kind_of_bug_is_planted_once_where_it_fits() -> None:
    mutants = mutate.find_mutants("sample", SAMPLE)
    kinds = sorted({(m.kind, m.before, m.after) for m in mutants})
    assert ("compare", "total < warn", "total <= warn") in kinds
    assert ("compare", "total != 0", "total == 0") in kinds
    assert ("boolop", "total < warn and total != 0", "total < warn or total != 0") in kinds
    assert ("number", "10", "11") in kinds and ("number", "10", "9") in kinds
    assert ("return", "return 'low'", "return None") in kinds
    assert ("delete", "print('checked')", "pass") in kinds
    assert not any("Docstring" in m.before or "Not mutated" in m.before for m in mutants)


def test_a_mutant_changes_exactly_one_thing() -> None:
    original = ast.dump(ast.parse(SAMPLE))
    for mutant in mutate.find_mutants("sample", SAMPLE):
        changed = mutate.mutated_source(SAMPLE, mutant)
        assert ast.dump(ast.parse(changed)) != original, mutant.id
        assert mutant.after in changed, mutant.id


@pytest.mark.parametrize("module", sorted(CONFIG))
def test_every_module_mutates_into_valid_python_with_unique_ids(module: str) -> None:
    source = (ROOT / mutate.module_path(module)).read_text(encoding="utf-8")
    mutants = mutate.find_mutants(module, source)
    assert len({m.id for m in mutants}) == len(mutants)
    for mutant in mutants:
        ast.parse(mutate.mutated_source(source, mutant))


@pytest.mark.parametrize("module", sorted(CONFIG))
def test_the_listed_survivors_still_exist(module: str) -> None:
    """An equivalent or pixel entry whose code has changed must be looked at again."""
    source = (ROOT / mutate.module_path(module)).read_text(encoding="utf-8")
    mutants = mutate.find_mutants(module, source)
    assert mutate.stale_equivalents(module, mutants, CONFIG[module]) == []
    for test_file in CONFIG[module]["tests"]:
        assert (ROOT / test_file).is_file()
