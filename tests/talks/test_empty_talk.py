"""A talk with nothing in it - no note, no state of mind, no concern - is refused (issue 8, item 4),
by the service, the page and the API alike, with the message next to the note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from talks.models import Talk
from talks.services import TalkInput, talk_create

MESSAGE = "a talk with no content is not saved"


def _input(org, **content) -> TalkInput:
    return TalkInput(participants=[org.people["colleague"]], held_at=timezone.now() - timedelta(hours=1), **content)


@pytest.mark.parametrize(
    "content",
    [{}, {"main_content": "  \n "}, {"mood_tags": []}, {"shared_summary": "约定下周再谈", "difficulties": "无"}],
    ids=["nothing", "blank note", "no concern", "no note"],
)
def test_the_service_refuses_a_talk_with_nothing_in_it(org, content):
    before = Talk.objects.count()
    with pytest.raises(ValidationError) as refused:
        talk_create(actor=org.users["supervisor"], data=_input(org, **content))
    assert MESSAGE in refused.value.message_dict["main_content"][0]
    assert Talk.objects.count() == before


@pytest.mark.parametrize(
    "content",
    [{"main_content": "谈了近况"}, {"mood": 3}, {"mood_tags": ["workload"]}],
    ids=["a note", "a state of mind", "a concern"],
)
def test_a_note_a_state_of_mind_or_a_concern_is_enough(org, content):
    talk = talk_create(actor=org.users["supervisor"], data=_input(org, **content))
    assert talk.pk is not None


def test_the_page_refuses_an_empty_talk_next_to_the_note(as_principal, org):
    before = Talk.objects.count()
    data = {
        "participants": [org.people["colleague"].pk],
        "kind": "individual",
        "occasion": "routine",
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "confidentiality": "normal",
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
    }
    response = as_principal("supervisor").post("/talks/new/", data)
    assert response.status_code == 400
    assert MESSAGE in str(response.context["form"].errors.get("main_content"))
    assert Talk.objects.count() == before


def test_the_api_refuses_an_empty_talk_in_the_one_error_shape(as_principal, org):
    before = Talk.objects.count()
    body = {"participants": ["EX-colleague"], "held_at": timezone.now().isoformat(), "main_content": " "}
    response = as_principal("supervisor", api=True).post("/api/v1/talks/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"message", "errors"}
    assert MESSAGE in response.json()["errors"]["main_content"][0]
    assert Talk.objects.count() == before
