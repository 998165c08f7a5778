"""A morning in the county, for locust (run by ``bench/load.py``, which seeds the database, signs the
accounts in and writes them to the file ``LOAD_BENCH_ACCOUNTS`` names).

Four kinds of user, weighted 3 : 3 : 1 : 1 - supervisors, staff, HR systems and the baseline - each
pausing 1-3 seconds between requests (a person reading a page):

- a supervisor opens the home page, their follow-ups and their team's, and logs talks: the form for
  one of their people, then the form posted with its CSRF token, a note, a state of mind and an agreed
  action (saved: the page redirects to the talk);
- a member of staff opens the home page and their follow-ups, and takes the check-up's questionnaires
  (PHQ-9, GAD-7): the page, then the answers posted with its token (saved: the page redirects to the
  result);
- an HR system, with a token of its own, lists people with filters (a unit and below, active), reads
  one person, and sends a batch of 20 of its people (a new phone number each) to
  ``POST /api/v1/sync/people/`` with an ``Idempotency-Key``;
- the baseline asks ``/bench/one-query/`` (one query, a few bytes) all the while.

A request fails unless its answer is the one a person would expect (the page, the redirect after a
save, the sync's count of records applied).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from datetime import datetime, timedelta

from locust import HttpUser, between, task

with open(os.environ["LOAD_BENCH_ACCOUNTS"], encoding="utf-8") as _handle:
    ACCOUNTS = json.load(_handle)
_NEXT = {kind: itertools.count() for kind in ("supervisors", "staff", "hr")}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]*)"')
ITEM = re.compile(r'name="(item_\d+)"')
SHANGHAI = 8  # hours ahead of UTC: the organisation's time zone (the form takes local times)


def _account(kind: str) -> dict:
    accounts = ACCOUNTS[kind]
    return accounts[next(_NEXT[kind]) % len(accounts)]


class Person(HttpUser):
    abstract = True
    kind = ""
    wait_time = between(1, 3)

    def on_start(self):
        self.account = _account(self.kind)
        for name, value in self.account["cookies"].items():
            self.client.cookies.set(name, value)

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            return response.text or ""

    def post_form(self, path: str, data: dict, name: str, expect: str) -> None:
        """Post a form; it must redirect to ``expect`` (a save), not answer the form again."""
        with self.client.post(
            path,
            data=data,
            name=name,
            headers={"Referer": f"{self.host}{path}"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not location.startswith(expect):
                response.failure(f"HTTP {response.status_code} {location or 'no redirect'}: not saved")

    @task(3)
    def home(self):
        self.page("/", f"{self.kind}: home page")

    @task(2)
    def my_followups(self):
        self.page("/follow-ups/", "follow-ups: mine")


class Supervisor(Person):
    weight = 3
    kind = "supervisors"

    def on_start(self):
        super().on_start()
        self.reports = itertools.cycle(self.account["reports"])
        self.talked: set[int] = set()

    @task(2)
    def team_followups(self):
        self.page("/follow-ups/team/", "follow-ups: my team's")

    @task(2)
    def log_talk(self):
        person, external_id = next(self.reports)
        form = self.page(f"/talks/new/?person={external_id}", "talk: form (GET)")
        token = CSRF.search(form)
        if token is None:
            return
        now = datetime.utcnow() + timedelta(hours=SHANGHAI)  # noqa: DTZ003 - written as the form's local time
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "participants": str(person),
            "kind": "individual",
            "occasion": "routine",
            "held_at": now.strftime("%Y-%m-%d %H:%M"),
            "mood": random.choice(["3", "4", "4", "5"]),
            "main_content": "谈近期工作和家庭情况，状态平稳。",
            "confidentiality": "normal",
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "0",
            "actions-MIN_NUM_FORMS": "0",
            "actions-MAX_NUM_FORMS": "1000",
            "actions-0-description": "一周后了解落实情况",
            "actions-0-owner_kind": "supervisor",
            "actions-0-due_date": (now.date() + timedelta(days=7)).isoformat(),
        }
        if person in self.talked:  # a second talk with them today: "save anyway"
            data["confirm_duplicate"] = "on"
        self.talked.add(person)
        self.post_form("/talks/new/", data, "talk: save (POST)", "/talks/")


class Staff(Person):
    weight = 3
    kind = "staff"

    def on_start(self):
        super().on_start()
        self.questionnaires = itertools.cycle(["phq9", "gad7"])

    @task(3)
    def take_checkup(self):
        code = next(self.questionnaires)
        path = f"/screening/take/{code}/"
        form = self.page(path, "screening: questionnaire (GET)")
        csrf, token = CSRF.search(form), TOKEN.search(form)
        if csrf is None or token is None:
            return
        data = {"csrfmiddlewaretoken": csrf.group(1), "token": token.group(1)}
        for item in dict.fromkeys(ITEM.findall(form)):
            # Mostly "not at all" and "several days"; never on PHQ-9's item 9 (that is a crisis path).
            data[item] = "0" if (code == "phq9" and item == "item_9") else random.choice("0001")
        self.post_form(path, data, "screening: submit (POST)", "/screening/results/")


class HrSystem(HttpUser):
    weight = 1
    wait_time = between(1, 3)

    def on_start(self):
        self.account = _account("hr")
        self.client.headers["Authorization"] = f"Bearer {self.account['token']}"

    def get_json(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")

    @task(3)
    def people_list(self):
        unit = random.choice(self.account["units"])
        self.get_json(f"/api/v1/people/?unit={unit}&status=active", "api: people list (unit, status)")

    @task(3)
    def one_person(self):
        external_id = random.choice(self.account["people"])
        self.get_json(f"/api/v1/people/{external_id}/", "api: one person")

    @task(1)
    def sync_batch(self):
        records = random.sample(self.account["records"], min(20, len(self.account["records"])))
        body = [{**r, "phone": f"138{random.randint(10000000, 99999999)}"} for r in records]
        with self.client.post(
            "/api/v1/sync/people/",
            json={"records": body, "full": False},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            name="api: HR sync, 20 people (POST)",
            catch_response=True,
        ) as response:
            answer = response.json() if response.status_code == 200 else {}
            applied = answer.get("updated", 0) + answer.get("unchanged", 0) + answer.get("created", 0)
            if response.status_code != 200 or answer.get("errors") or applied != len(body):
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")


class Baseline(HttpUser):
    weight = 1
    wait_time = between(1, 3)

    @task
    def one_query(self):
        with self.client.get("/bench/one-query/", name="baseline: one query", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
