"""Factories that build data through the real services, as the application would."""

from __future__ import annotations

import itertools
from datetime import date

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from wellbeing import services
from wellbeing.actors import SystemActor
from wellbeing.models import OrgUnit, Person

PASSWORD = "Correct-Horse-42"
#: Who acts when a test sets up data (the audit trail names it).
ACTOR = SystemActor("test:fixture")
_codes = itertools.count(1)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.gov.cn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_unit(name: str, *, parent: OrgUnit | None = None, kind: str | None = None, code: str | None = None) -> OrgUnit:
    kind = kind or (OrgUnit.Kind.COUNTY if parent is None else OrgUnit.Kind.TOWN)
    return services.org_unit_create(
        actor=ACTOR, code=code or f"U{next(_codes):04d}", name=name, kind=kind, parent=parent
    )


_people = itertools.count(1)


def make_person(
    unit: OrgUnit,
    *,
    full_name: str | None = None,
    user=None,
    external_id: str | None = None,
    **fields,
) -> Person:
    n = next(_people)
    fields.setdefault("date_of_birth", date(1985, 5, 1))
    fields.setdefault("work_start_date", date(2008, 7, 1))
    fields.setdefault("hire_date", date(2012, 3, 1))
    fields.setdefault("position", "科员")
    return services.person_create(
        actor=ACTOR,
        external_id=external_id or f"P{n:05d}",
        full_name=full_name or f"测试{n}",
        unit=unit,
        user=user,
        **fields,
    )
