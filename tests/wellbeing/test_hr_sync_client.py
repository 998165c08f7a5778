"""scripts/hr_sync_client.py, the example client of docs/hr-integration.md, against the app for real (a
live server): a full sync from docs/examples/*.csv, the same again (all unchanged), one changed row (1
updated), the change feed pulled from a stored cursor (and again: nothing new), a bad row reported with
its CSV line (exit code 1). A stub server checks the retries: the same Idempotency-Key and body again,
after Retry-After."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.factories import ACTOR
from wellbeing import services
from wellbeing.models import OrgUnit, Person

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
UNIT_CODES = {"QX", "QX-TOWN-01", "QX-TOWN-02", "QX-OFFICE", "QX-TOWN-01-GEN"}
PEOPLE = {"HR-000001", "HR-000045", "HR-000123", "HR-000207", "HR-000311"}


def load_client():
    spec = importlib.util.spec_from_file_location("hr_sync_client", ROOT / "scripts" / "hr_sync_client.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


client = load_client()


@pytest.fixture
def csvs(tmp_path) -> tuple[Path, Path]:
    units, people = tmp_path / "units.csv", tmp_path / "people.csv"
    shutil.copy(EXAMPLES / "units.csv", units)
    shutil.copy(EXAMPLES / "people.csv", people)
    return units, people


@pytest.fixture
def hr_system(live_server, monkeypatch):
    _, token = services.api_client_create(
        actor=ACTOR, name="hr-csv", scopes="org:read,org:write,people:read,people:write"
    )
    monkeypatch.setenv("TANXIN_URL", live_server.url)
    monkeypatch.setenv("TANXIN_TOKEN", token)


def full_sync(units: Path, people: Path, capsys) -> tuple[int, str]:
    code = client.main(["full-sync", "--units", str(units), "--people", str(people)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def pull_until(state: Path, lines: Path, count: int, capsys) -> list[dict]:
    """Pull until the file holds ``count`` lines. On PostgreSQL the feed serves a line once no older
    transaction is still running anywhere on the server - tests of other databases on a shared server
    can hold it back for a while (docs/hr-integration.md): pull again, from the stored cursor."""
    deadline = time.monotonic() + 180
    while True:
        assert client.main(["pull", "--state", str(state), "--out", str(lines), "--limit", "4"]) == 0
        capsys.readouterr()
        changes = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
        if len(changes) >= count or time.monotonic() > deadline:
            return changes
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_full_sync_again_one_change_and_the_change_feed(hr_system, csvs, tmp_path, capsys):
    units, people = csvs

    code, out = full_sync(units, people, capsys)
    assert code == 0, out
    assert "org units" in out and "5 records in 1 call: created 5, updated 0, unchanged 0, errors 0" in out
    assert "people" in out and "5 records in 1 call: created 5, updated 0, unchanged 0, errors 0" in out
    assert set(OrgUnit.objects.values_list("code", flat=True)) == UNIT_CODES
    # The section's row comes before its parent's in the file: the client sends parents first.
    section, town = OrgUnit.objects.get(code="QX-TOWN-01-GEN"), OrgUnit.objects.get(code="QX-TOWN-01")
    assert section.path[: -OrgUnit.steplen] == town.path
    assert OrgUnit.objects.get(code="QX").depth == 1
    wang = Person.objects.select_related("unit", "manager").get(external_id="HR-000123")
    assert (wang.full_name, wang.unit.code, wang.manager.external_id) == ("王静", "QX-TOWN-01-GEN", "HR-000045")
    assert (wang.wecom_user_id, wang.dingtalk_user_id, str(wang.date_of_birth)) == ("WangJing", "", "1988-04-12")
    assert Person.objects.get(external_id="HR-000001").manager is None
    assert set(Person.objects.filter(status="active").values_list("external_id", flat=True)) == PEOPLE

    # The same files again: nothing changes, nobody is marked left.
    code, out = full_sync(units, people, capsys)
    assert code == 0, out
    assert out.count("created 0, updated 0, unchanged 5, errors 0") == 2
    assert not Person.objects.filter(status="left").exists()

    # One changed row: one update.
    text = people.read_text(encoding="utf-8")
    assert ",见习," in text
    people.write_text(text.replace(",见习,", ",科员,"), encoding="utf-8")
    code, out = full_sync(units, people, capsys)
    assert code == 0, out
    assert "people" in out and "created 0, updated 1, unchanged 4, errors 0" in out
    assert Person.objects.get(external_id="HR-000311").position == "科员"

    # The change feed, from the start, in pages of 4: 5 units, 5 people, then the one change.
    state, lines = tmp_path / "state.json", tmp_path / "changes.jsonl"
    changes = pull_until(state, lines, 11, capsys)
    assert len({c["cursor"] for c in changes}) == 11  # each line once
    assert [c["type"] for c in changes] == ["org_unit"] * 5 + ["person"] * 6
    assert {c["key"] for c in changes[:5]} == UNIT_CODES
    assert {c["key"] for c in changes[5:10]} == PEOPLE
    assert {c["op"] for c in changes} == {"upsert"}
    last = changes[-1]
    assert (last["key"], last["data"]["position"], last["data"]["unit"]) == ("HR-000311", "科员", "QX-TOWN-01-GEN")
    stored = json.loads(state.read_text(encoding="utf-8"))
    assert stored["cursor"] == last["cursor"]

    # Again from the stored cursor: nothing new, the cursor stays.
    assert client.main(["pull", "--state", str(state), "--out", str(lines)]) == 0
    assert "0 changes" in capsys.readouterr().err
    assert len(lines.read_text(encoding="utf-8").splitlines()) == 11
    assert json.loads(state.read_text(encoding="utf-8"))["cursor"] == last["cursor"]


@pytest.mark.django_db(transaction=True)
def test_a_bad_row_is_reported_with_its_csv_line(hr_system, csvs, capsys):
    units, people = csvs
    with people.open("a", encoding="utf-8") as handle:  # line 7
        handle.write("HR-000999,赵敏,QX-TOWN-02,HR-000001,female,1990-02-30,,,科员,active,,,,\n")

    code, out = full_sync(units, people, capsys)

    assert code == 1, out
    assert "5 records in 1 call: created 5" in out  # the units
    assert "6 records in 1 call: created 5, updated 0, unchanged 0, errors 1" in out
    assert f"{people} line 7 (external_id HR-000999): date_of_birth:" in out
    assert set(Person.objects.values_list("external_id", flat=True)) == PEOPLE


def test_a_malformed_file_sends_nothing(csvs, capsys, monkeypatch):
    units, people = csvs
    people.write_text("external_id,full_name,unit,shoe_size\nHR-1,王静,QX,42\n", encoding="utf-8")
    monkeypatch.setenv("TANXIN_TOKEN", "tx_unused")
    arguments = ["--base-url", "http://127.0.0.1:9", "full-sync", "--units", str(units), "--people", str(people)]
    code = client.main(arguments)
    assert code == 2
    assert "unknown column(s) shoe_size" in capsys.readouterr().err


class StubSync(BaseHTTPRequestHandler):
    """Answers the first calls with a 503 and a 429, then with a sync answer; keeps what it was sent."""

    answers: list[tuple[int, dict]] = []
    seen: list[tuple[str, str | None, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.path, self.headers.get("Idempotency-Key"), body))
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        payload = json.dumps(
            {"created": 0, "updated": 0, "unchanged": len(json.loads(body)["records"]), "errors": []}
            if status == 200
            else {"message": "busy", "errors": {}}
        ).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_a_retry_sends_the_same_key_and_body_after_retry_after(csvs, capsys, monkeypatch):
    units, people = csvs
    StubSync.answers = [(503, {"Retry-After": "0"}), (429, {"Retry-After": "7"})]
    StubSync.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubSync)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    waits: list[float] = []
    monkeypatch.setattr(client.time, "sleep", waits.append)
    monkeypatch.setenv("TANXIN_TOKEN", "tx_stub")
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        code = client.main(["--base-url", url, "full-sync", "--units", str(units), "--people", str(people)])
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0, capsys.readouterr()
    assert waits == [0, 7]
    paths = [path for path, _, _ in StubSync.seen]
    assert paths == ["/api/v1/sync/org-units/"] * 3 + ["/api/v1/sync/people/"]
    units_calls = StubSync.seen[:3]
    assert len({key for _, key, _ in units_calls}) == 1 and units_calls[0][1]  # one key, resent
    assert len({body for _, _, body in units_calls}) == 1  # the same body
    assert StubSync.seen[3][1] != units_calls[0][1]  # a new call, a new key
    sent = json.loads(units_calls[0][2])
    assert sent["full"] is True and sent["run"].startswith("full-")
    assert json.loads(StubSync.seen[3][2])["run"] == sent["run"]  # one run for both streams
    # Parents first: the county, then its towns, then the section.
    codes = [record["code"] for record in sent["records"]]
    assert codes.index("QX") < codes.index("QX-TOWN-01") < codes.index("QX-TOWN-01-GEN")
    assert sent["records"][codes.index("QX")]["parent"] is None
