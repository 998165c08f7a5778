#!/usr/bin/env python3
"""An example HR sync client for Tanxin: the Python standard library only, so you can copy it.

Two commands (docs/hr-integration.md explains the API behind them):

  full-sync  Send every org unit, then every person, from two CSV files. Up to 5,000 records per call,
             all calls under one ``run`` id; the last call of each stream says ``"full": true``, so
             people missing from the file are marked left and units missing from it are taken out of
             use. Every call carries an ``Idempotency-Key``; a retry after a timeout, a 5xx, a 409 or
             a 429 sends the same key and body again (after ``Retry-After`` when the server gives it),
             so a call is never applied twice.
  pull       Read the change feed from the cursor stored in a state file, write each line as JSON
             (one line per change), and store the new cursor after each page.

The token comes from the environment (``TANXIN_TOKEN``), never from the command line (other users of
the machine can see command lines). Exit codes: 0 ok, 1 some records had errors (the others were
applied), 2 failure (nothing more was sent).
"""

from __future__ import annotations

import argparse
import csv
import email.utils
import http.client
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

EXIT_OK = 0
EXIT_RECORD_ERRORS = 1
EXIT_FAILURE = 2

#: The most records one sync call may carry (the server's SYNC_MAX_RECORDS, 5,000 by default).
MAX_BATCH = 5000
#: Answers worth the same request again: still running under its key (409), too many requests (429),
#: and server or proxy errors.
RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})
MAX_WAIT_SECONDS = 300

UNIT_FIELDS = ("code", "name", "kind", "parent", "is_active")
UNIT_REQUIRED = ("code", "name", "kind")
PERSON_FIELDS = (
    "external_id",
    "full_name",
    "gender",
    "date_of_birth",
    "work_start_date",
    "hire_date",
    "unit",
    "manager",
    "position",
    "status",
    "left_on",
    "email",
    "phone",
    "wecom_user_id",
    "dingtalk_user_id",
)
PERSON_REQUIRED = ("external_id", "full_name", "unit")
DATE_FIELDS = frozenset({"date_of_birth", "work_start_date", "hire_date", "left_on"})
#: An empty cell in these columns means "none": null.
NULL_IF_EMPTY = frozenset({"parent", "manager", *DATE_FIELDS})
#: An empty cell in these columns means "keep what Tanxin has": the field is not sent.
OMIT_IF_EMPTY = frozenset({"gender", "status", "kind", "is_active"})
TRUE = frozenset({"true", "1", "yes", "y"})
FALSE = frozenset({"false", "0", "no", "n"})

EPILOG = """\
CSV files
  UTF-8 (a BOM from Excel is fine; --encoding gbk for files saved as GBK). The first line names the
  columns; each column is a field of the record, with the same name:
    units:  code, name, kind, parent, is_active            (code, name and kind are required)
    people: external_id, full_name, unit, manager, gender, date_of_birth, work_start_date,
            hire_date, position, status, left_on, email, phone, wecom_user_id, dingtalk_user_id
            (external_id, full_name and unit are required)
  An empty cell: parent, manager and dates -> null (none); gender, status, kind and is_active ->
  not sent (Tanxin keeps its value); other text -> "" (cleared). is_active: true/false, 1/0, yes/no.
  Spaces around a value are removed. Rows may come in any order: the client sends parents before
  their children and managers before their staff.

environment
  TANXIN_URL     the server, e.g. https://tanxin.example.gov.cn (or --base-url)
  TANXIN_TOKEN   the API client's token (or --token-file)

exit codes
  0  everything was applied
  1  some records had errors (printed with their CSV line); the other records were applied
  2  failure: bad arguments or files, a refused call, or the server could not be reached
"""


class Failure(Exception):
    """Stop: exit code 2."""


# --- HTTP ----------------------------------------------------------------------------------------------


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def describe_error(status: int, payload: bytes) -> str:
    """The one error shape, {"message": ..., "errors": {field: [...]}}, as one line of text."""
    try:
        body = json.loads(payload.decode("utf-8"))
        message = str(body.get("message", ""))
        fields = body.get("errors") or {}
    except (ValueError, UnicodeDecodeError, AttributeError):
        return f"HTTP {status}: {payload[:200].decode('utf-8', 'replace')}"
    details = "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in fields.items())
    return f"HTTP {status}: {message}" + (f" ({details})" if details else "")


@dataclass
class Api:
    base_url: str
    token: str
    timeout: float = 120.0
    retries: int = 5
    log: object = None  # where retries and notes are printed (default: standard error)

    def __post_init__(self) -> None:
        self.log = self.log or sys.stderr
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Failure(f"Not an http(s) URL: {self.base_url!r}")
        if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
            print("warning: plain HTTP sends the token unencrypted; use https.", file=self.log)
        self.base_url = self.base_url.rstrip("/")

    def request(self, method: str, path: str, *, body=None, query=None, idempotency_key=None):
        """(answer as JSON, headers). Retries with the same key and body; raises Failure otherwise."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "User-Agent": "tanxin-hr-sync-client/1",
        }
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (checked)
                    payload = response.read()
                    try:
                        return json.loads(payload.decode("utf-8")), response.headers
                    except ValueError:  # a proxy's page, not Tanxin's answer
                        raise Failure(f"{method} {path}: not a JSON answer: {payload[:200]!r}") from None
            except urllib.error.HTTPError as exc:
                payload = exc.read()
                if exc.code not in RETRY_STATUSES or last:
                    raise Failure(f"{method} {path}: {describe_error(exc.code, payload)}") from None
                wait = retry_after_seconds(exc.headers.get("Retry-After"))
                reason = f"HTTP {exc.code}"
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                if last:
                    raise Failure(f"{method} {path}: {getattr(exc, 'reason', exc)}") from None
                wait = None
                reason = str(getattr(exc, "reason", exc)) or type(exc).__name__
            if wait is None:
                wait = min(2.0**attempt, 60.0)
            wait = min(wait, MAX_WAIT_SECONDS)
            print(f"{method} {path}: {reason}; retry {attempt + 1} of {self.retries} in {wait:g} s", file=self.log)
            time.sleep(wait)
        raise AssertionError("unreachable")


# --- CSV -----------------------------------------------------------------------------------------------


@dataclass
class Row:
    line: int  # where the row starts in its file (the header is line 1)
    record: dict


def cell(name: str, value: str):
    value = value.strip()
    if value:
        if name == "is_active":
            lowered = value.lower()
            return True if lowered in TRUE else False if lowered in FALSE else value  # else: the server says why
        return value
    if name in NULL_IF_EMPTY:
        return None
    if name in OMIT_IF_EMPTY:
        return ...
    return ""


def read_csv(path: str, fields: tuple[str, ...], required: tuple[str, ...], key: str, encoding: str) -> list[Row]:
    """The rows of a CSV file as records. A malformed file is a Failure: nothing is sent."""
    try:
        with open(path, newline="", encoding=encoding) as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            if not header:
                raise Failure(f"{path}: the file is empty (the first line must name the columns).")
            unknown = [name for name in header if name not in fields]
            if unknown:
                raise Failure(f"{path}: unknown column(s) {', '.join(unknown)}; the columns are: {', '.join(fields)}.")
            missing = [name for name in required if name not in header]
            if missing:
                raise Failure(f"{path}: missing column(s) {', '.join(missing)}.")
            if len(set(header)) != len(header):
                raise Failure(f"{path}: a column is named twice.")
            rows: list[Row] = []
            seen: dict[str, int] = {}
            while True:
                start = reader.line_num + 1
                values = next(reader, None)
                if values is None:
                    break
                if not any(v.strip() for v in values):
                    continue  # a blank line
                if len(values) != len(header):
                    raise Failure(f"{path} line {start}: {len(values)} cells, but the header names {len(header)}.")
                record = {}
                for name, value in zip(header, values, strict=True):
                    converted = cell(name, value)
                    if converted is not ...:
                        record[name] = converted
                key_value = record.get(key)
                if key_value in seen:
                    raise Failure(f"{path}: {key} {key_value} is on line {seen[key_value]} and line {start}.")
                if key_value:
                    seen[key_value] = start
                rows.append(Row(start, record))
    except OSError as exc:
        raise Failure(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise Failure(f"{path}: not {encoding} ({exc.reason}); try --encoding gbk.") from None
    except csv.Error as exc:
        raise Failure(f"{path}: not a valid CSV file ({exc}).") from None
    return rows


def references_first(rows: list[Row], key: str, reference: str) -> list[Row]:
    """The rows with each parent (or manager) before the rows that name it, otherwise in file order,
    so that a reference never points into a later call."""
    by_key = {row.record.get(key): row for row in rows}
    placed: set[int] = set()
    ordered: list[Row] = []
    for row in rows:
        chain: list[Row] = []
        in_chain: set[int] = set()
        current: Row | None = row
        while current is not None and id(current) not in placed and id(current) not in in_chain:
            chain.append(current)
            in_chain.add(id(current))
            target = current.record.get(reference)
            current = by_key.get(target) if target else None
        for item in reversed(chain):
            placed.add(id(item))
            ordered.append(item)
    return ordered


# --- full-sync -----------------------------------------------------------------------------------------


@dataclass
class StreamResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def sync_stream(api: Api, *, endpoint: str, rows: list[Row], path: str, key: str, run, full: bool, batch_size: int):
    result = StreamResult()
    batches = [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
    for number, batch in enumerate(batches, start=1):
        body = {"records": [row.record for row in batch], "full": full and number == len(batches)}
        if run:
            body["run"] = run
        # One key per call, the same on each retry of that call: the server applies the call once.
        try:
            answer, headers = api.request("POST", endpoint, body=body, idempotency_key=str(uuid.uuid4()))
        except Failure as exc:
            done = f"calls 1 to {number - 1} of {len(batches)} were applied" if number > 1 else "nothing was applied"
            closing = "; the run was not closed, so nobody was marked left" if run else ""
            raise Failure(f"{path}: call {number} of {len(batches)} failed ({done}{closing}): {exc}") from None
        if headers.get("Idempotent-Replayed") == "true":
            print(f"  call {number}: had been applied already; its stored answer was used", file=api.log)
        result.created += answer["created"]
        result.updated += answer["updated"]
        result.unchanged += answer["unchanged"]
        for error in answer["errors"]:
            index = error.get("index")
            where = f"{path} line {batch[index].line}" if isinstance(index, int) and 0 <= index < len(batch) else path
            fields = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error["errors"].items())
            result.errors.append(f"  {where} ({key} {error.get('external_id')}): {fields}")
    return result, len(batches)


def full_sync(api: Api, args) -> int:
    if not args.units and not args.people:
        raise Failure("Give --units, --people or both.")
    if not 1 <= args.batch_size <= MAX_BATCH:
        raise Failure(f"--batch-size: 1 to {MAX_BATCH}.")
    streams = []
    # Read both files first: a malformed file stops the sync before anything is sent.
    if args.units:
        rows = read_csv(args.units, UNIT_FIELDS, UNIT_REQUIRED, "code", args.encoding)
        rows = references_first(rows, "code", "parent")
        streams.append(("org units", "/api/v1/sync/org-units/", args.units, "code", rows))
    if args.people:
        rows = read_csv(args.people, PERSON_FIELDS, PERSON_REQUIRED, "external_id", args.encoding)
        rows = references_first(rows, "external_id", "manager")
        streams.append(("people", "/api/v1/sync/people/", args.people, "external_id", rows))
    full = not args.no_full
    for label, _endpoint, path, _key, rows in streams:
        if full and not rows:
            raise Failure(f"{path} has no records: a full sync from it would find all {label} missing.")
    run = (args.run or f"full-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}") if full else None
    if run:
        print(f"run {run}", file=api.log)
    any_errors = False
    for label, endpoint, path, key, rows in streams:
        result, calls = sync_stream(
            api, endpoint=endpoint, rows=rows, path=path, key=key, run=run, full=full, batch_size=args.batch_size
        )
        print(
            f"{label} ({path}): {len(rows)} records in {calls} call{'s' if calls != 1 else ''}: "
            f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
            f"errors {len(result.errors)}"
        )
        for line in result.errors:
            print(line)
        any_errors = any_errors or bool(result.errors)
    return EXIT_RECORD_ERRORS if any_errors else EXIT_OK


# --- pull ----------------------------------------------------------------------------------------------


def load_state(path: str) -> dict:
    if not os.path.exists(path):
        return {"cursor": "", "streams": None}
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError) as exc:
        raise Failure(f"{path}: cannot read the state ({exc}).") from None
    if not isinstance(state, dict) or not isinstance(state.get("cursor", ""), str):
        raise Failure(f"{path}: not a state file of this client.")
    return state


def save_state(path: str, state: dict) -> None:
    """Write the state atomically: a crash leaves the old file or the new one, never half of one."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".state-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state, out, ensure_ascii=False, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def pull(api: Api, args) -> int:
    if not 1 <= args.limit <= 1000:
        raise Failure("--limit: 1 to 1000.")
    streams = sorted({s.strip() for s in args.streams.split(",") if s.strip()}) if args.streams else None
    state = load_state(args.state)
    if state.get("cursor") and state.get("streams") != streams:
        # A cursor is a position in the whole feed: other streams would start from it, not from the start.
        raise Failure(
            f"{args.state} holds a cursor for streams {state.get('streams') or 'all of the token'}, not "
            f"{streams or 'all of the token'}: use another state file for another choice of streams."
        )
    cursor = state.get("cursor", "")
    out = open(args.out, "a", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115 (closed below)
    total = 0
    try:
        while True:
            query = {"cursor": cursor, "limit": args.limit}
            if streams:
                query["streams"] = ",".join(streams)
            page, _headers = api.request("GET", "/api/v1/changes/", query=query)
            for line in page["results"]:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
            if args.out:
                os.fsync(out.fileno())
            # The lines are written before the cursor moves past them: a crash repeats a page, never skips one.
            total += len(page["results"])
            cursor = page["next_cursor"]
            save_state(args.state, {"cursor": cursor, "streams": streams, "saved_at": datetime.now(UTC).isoformat()})
            if not page["has_more"]:
                break
    finally:
        if args.out:
            out.close()
    print(f"{total} change{'s' if total != 1 else ''}; cursor stored in {args.state}", file=sys.stderr)
    return EXIT_OK


# --- Command line --------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="hr_sync_client.py",
        description="An example Tanxin HR sync client: full sync from CSV files, and incremental pull of changes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    main.add_argument("--base-url", default=os.environ.get("TANXIN_URL"), help="the server (default: $TANXIN_URL)")
    main.add_argument("--token-file", help="read the token from this file (default: $TANXIN_TOKEN)")
    main.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one answer (default 120)")
    main.add_argument("--retries", type=int, default=5, help="retries of a call that failed for a passing reason")
    commands = main.add_subparsers(dest="command", required=True)

    sync = commands.add_parser(
        "full-sync",
        help="send every org unit, then every person, from CSV files",
        description=(
            "Send the org units, then the people, in calls of at most --batch-size records under one run\n"
            'id. The last call of each stream says "full": true: people missing from the file are marked\n'
            "left and units missing from it are taken out of use (never deleted). A record with an error\n"
            "still counts as present; a sync that would mark over 20 percent of people left is refused.\n"
            "Prints created / updated / unchanged and each record error with its CSV line."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync.add_argument("--units", metavar="CSV", help="the org units (columns: code, name, kind, parent, is_active)")
    sync.add_argument("--people", metavar="CSV", help="the people (columns: external_id, full_name, unit, ...)")
    sync.add_argument("--batch-size", type=int, default=MAX_BATCH, help=f"records per call (at most {MAX_BATCH})")
    sync.add_argument("--run", help="the run id (default: full-<UTC time>-<random>)")
    sync.add_argument(
        "--no-full",
        action="store_true",
        help="only create and update: mark nobody left and take no unit out of use",
    )
    sync.add_argument("--encoding", default="utf-8-sig", help="the CSV files' encoding (default utf-8, BOM or not)")

    pull_ = commands.add_parser(
        "pull",
        help="read the change feed from the stored cursor",
        description=(
            "Read GET /api/v1/changes/ from the cursor in the state file until there is nothing more.\n"
            "Each change is written as one line of JSON; the cursor is stored after each page, once its\n"
            "lines are written. A crash repeats at most one page: apply changes by their key and a\n"
            "repeated line does no harm. Keep one state file per choice of --streams."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pull_.add_argument("--state", required=True, help="the JSON file that keeps the cursor (created if missing)")
    pull_.add_argument("--out", help="append the lines to this file (default: standard output)")
    pull_.add_argument("--streams", help="comma-separated: people, org-units, leave (default: all the token reads)")
    pull_.add_argument("--limit", type=int, default=500, help="changes per page, 1 to 1000 (default 500)")
    return main


def read_token(args) -> str:
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as handle:
                token = handle.read().strip()
        except OSError as exc:
            raise Failure(f"{args.token_file}: {exc.strerror or exc}") from None
    else:
        token = os.environ.get("TANXIN_TOKEN", "").strip()
    if not token:
        raise Failure("No token: set TANXIN_TOKEN or give --token-file.")
    return token


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if not args.base_url:
            raise Failure("No server: give --base-url or set TANXIN_URL.")
        if args.retries < 0:
            raise Failure("--retries: 0 or more.")
        api = Api(args.base_url, read_token(args), timeout=args.timeout, retries=args.retries)
        return full_sync(api, args) if args.command == "full-sync" else pull(api, args)
    except Failure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
