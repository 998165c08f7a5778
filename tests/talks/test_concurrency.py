"""Two talks with the same person logged at the same moment (two supervisors' phones, or a double
tap on a slow line): both are saved, the person's "talk due" follow-up is completed once and one next
talk is scheduled. PostgreSQL only: SQLite writes one transaction at a time."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from talks.models import Talk
from talks.services import TalkInput, talk_create
from tests.factories import ACTOR
from wellbeing import services
from wellbeing.models import FollowUp

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_talks_logged_at_once_are_both_saved_and_the_due_talk_is_done_once(org):
    supervisor, person = org.users["supervisor"], org.people["colleague"]
    due = services.followup_create(
        actor=ACTOR,
        owner=supervisor,
        title="谈心谈话",
        kind=FollowUp.Kind.TALK_DUE,
        due_at=timezone.now() + timedelta(days=2),
        person=person,
    )
    first_holds_its_lock = threading.Event()
    errors: list[BaseException] = []

    def log(text: str, *, first: bool) -> None:
        try:
            with transaction.atomic():
                talk_create(
                    actor=supervisor,
                    data=TalkInput(main_content=text, participants=[person], held_at=timezone.now()),
                )
                if first:
                    first_holds_its_lock.set()
                    time.sleep(0.5)  # the second talk arrives while this one is still being written
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    one = threading.Thread(target=log, args=("第一次记录",), kwargs={"first": True})
    one.start()
    assert first_holds_its_lock.wait(10)
    two = threading.Thread(target=log, args=("第二次记录",), kwargs={"first": False})
    two.start()
    one.join(20)
    two.join(20)

    assert errors == []
    assert Talk.objects.filter(participations__person=person).count() == 2
    due.refresh_from_db()
    assert due.status == FollowUp.Status.DONE
    assert (
        FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, person=person, status__in=FollowUp.ACTIVE_STATUSES).count()
        == 1
    )
