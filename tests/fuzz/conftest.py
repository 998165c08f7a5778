"""The API fuzzing (marker ``fuzz``) runs when asked for, not in every test run.

It takes a few minutes on two cores and has its own step in ``.ci/run``, so the whole-suite run
(``scripts/test.sh``, plain ``pytest``) skips it. It runs when selected by marker (``pytest -m fuzz``)
or when this directory or a file in it is named on the command line (``pytest tests/fuzz``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _asked_for(config: pytest.Config) -> bool:
    if "fuzz" in (config.option.markexpr or ""):
        return True
    for arg in config.args:
        path = Path(str(arg).split("::", 1)[0])
        path = (path if path.is_absolute() else Path(config.invocation_params.dir) / path).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _asked_for(config):
        return
    skip = pytest.mark.skip(reason="API fuzzing runs on its own: pytest -m fuzz (a step of .ci/run)")
    for item in items:
        if item.get_closest_marker("fuzz") is not None:
            item.add_marker(skip)
