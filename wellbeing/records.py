"""The registry of "everything recorded about one person": the "My records" page and a person's
access request (PIPL §45, ``wellbeing.services.access_request``) read the same sections, so an app's
records appear in both.

Each app adds a provider from its AppConfig.ready() to ``MY_RECORDS_SECTIONS``: a callable
``(query: RecordsQuery) -> list[RecordSection]`` that reads, through its own selectors, what
``query.person`` may see about themselves (access.md: everything except counsellors' working notes,
within what the roles table gives staff about themselves) and audits any sensitive text it returns
under ``query.reader``, who is shown it. The core imports none of the providers.
"""

from __future__ import annotations

from dataclasses import dataclass

from wellbeing.models import Person


@dataclass(frozen=True)
class RecordRow:
    heading: str
    detail: str = ""
    text: str = ""  # longer text, shown with its line breaks
    url: str = ""
    muted: bool = False  # done or closed


@dataclass(frozen=True)
class RecordSection:
    """One part of "everything recorded about me": a heading and its rows (plain text, escaped when
    shown). ``on_page`` False: only in the access-request export (a long ledger, an audit trail)."""

    key: str  # a stable name (the section's data-testid)
    title: str
    rows: list[RecordRow]
    empty: str = ""  # what to say when there are no rows
    on_page: bool = True


@dataclass(frozen=True)
class RecordsQuery:
    """Whose records, read by whom, and how much.

    ``person`` is whom the records are about; ``reader`` is the user shown them (the person on their
    own "My records" page or export, or the administrator answering the person's written request) and
    the actor of any audit entry a provider writes. ``complete`` asks for every row (the export); the
    page shows the latest rows of a long list."""

    reader: object
    person: Person
    complete: bool = False
    #: False when someone else (an administrator answering a written request) makes the export:
    #: providers then leave out what that reader may not see (access.md: no talk, case, screening or
    #: care text for an administrator), and the file says what is left out and where to get it.
    by_the_person: bool = True

    @property
    def user(self):
        """The person's own login (None for a person who never had one)."""
        return self.person.user

    def limit(self, page_rows: int = 50) -> int | None:
        """How many rows a list may return: all of them in an export."""
        return None if self.complete else page_rows


#: The providers, in registration order (see the module docstring).
MY_RECORDS_SECTIONS: list = []


def record_sections(query: RecordsQuery) -> list[RecordSection]:
    """Every registered app's sections for ``query`` (those marked for the page only, unless the
    query is an export)."""
    sections = [section for provider in MY_RECORDS_SECTIONS for section in provider(query)]
    return sections if query.complete else [s for s in sections if s.on_page]
