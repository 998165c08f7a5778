"""Layers you can see: who acts is always named, nobody uses another module's private names, imports
sit at the top of modules, and every access rule is documented. (The arrows between the apps are
import-linter contracts in pyproject.toml, run by .ci/run.)"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

from wellbeing import policy

ROOT = Path(__file__).resolve().parent.parent
APPS = ["wellbeing", "talks", "cases", "leave", "programme", "config"]
#: Imports inside functions that guard something: AppConfig.ready() (the app registry must be
#: loaded first), Celery's configure hook (settings), and django-environ-free settings helpers.
FUNCTION_IMPORTS_ALLOWED = {
    ("wellbeing/apps.py", "ready"),
    ("talks/apps.py", "ready"),
    ("cases/apps.py", "ready"),
    ("leave/apps.py", "ready"),
    ("programme/apps.py", "ready"),
    ("config/celery.py", "schedule_periodic_tasks"),
}


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_service_call_leaves_the_actor_unnamed():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path, _tree in _sources()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bactor\s*=\s*None\b", line)
    ]
    assert offenders == [], "Name who acts (a user, an API principal or a SystemActor)"


def test_no_module_imports_another_modules_private_names():
    offenders = []
    for path, tree in _sources():
        here = _module_name(path)
        modules: dict[str, str] = {}  # local name -> module imported under it
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if _private(alias.name) and node.module != here:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{alias.name}")
                    full = f"{node.module}.{alias.name}"
                    if _is_module(full):
                        modules[alias.asname or alias.name] = full
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    modules[local] = alias.name if alias.asname else local
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and _private(node.attr)
                and modules[node.value.id] != here
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {modules[node.value.id]}.{node.attr}")
    assert offenders == [], "Use the module's public functions (the policy's shared rules are public)"


def test_imports_sit_at_the_top_of_modules():
    offenders = []
    for path, tree in _sources():
        rel = str(path.relative_to(ROOT))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom) and (rel, func.name) not in FUNCTION_IMPORTS_ALLOWED:
                    offenders.append(f"{rel}:{node.lineno} in {func.name}()")
    assert offenders == [], "Move the import to the top of the module (or say what it guards here)"


def test_every_access_rule_is_listed_in_the_architecture_docs():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [action for action in policy.registered_actions() if f"`{action}`" not in doc]
    assert missing == [], "List each rule in docs/architecture.md"
