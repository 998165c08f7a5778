"""The access matrix's vocabulary (``Entry``, ``pages``, ``api``) and its parts kept beside it: each
module of this package named ``m_*.py`` holds ``ENTRIES`` (URL name -> Entry) for one area (e.g. the
screening pages), merged into tests/test_access_matrix.py's MATRIX."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import API_ROLES, USER_ROLES, Org

LOGIN = "/accounts/login/"


@dataclass
class Entry:
    """How to reach one URL and what each principal gets (status code, or "login" for a redirect
    to the log-in page)."""

    expect: dict[str, int | str]
    kwargs: Callable[[Org], dict] = lambda org: {}
    method: str = "get"
    data: dict | Callable[[Org], dict] = field(default_factory=dict)
    api: bool = False


def pages(users: dict[str, int | str], *, default_user: int | str = 200) -> dict[str, int | str]:
    """Pages: anonymous and API tokens (which pages ignore) go to the log-in page."""
    expect: dict[str, int | str] = {"anonymous": "login", **dict.fromkeys(API_ROLES, "login")}
    expect.update(dict.fromkeys(USER_ROLES, default_user))
    expect.update(users)
    return expect


def api(users: dict[str, int], *, default_user: int = 200, anonymous: int = 401) -> dict[str, int]:
    expect: dict[str, int] = {"anonymous": anonymous, **dict.fromkeys(USER_ROLES, default_user)}
    expect.update(users)
    return expect


def extra_entries() -> dict[str, Entry]:
    """Every ``ENTRIES`` of the ``m_*`` modules of this package (a URL name twice is an error)."""
    merged: dict[str, Entry] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("m_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, entry in module.ENTRIES.items():
            if name in merged:
                raise ValueError(f"{name} is in the access matrix twice")
            merged[name] = entry
    return merged
