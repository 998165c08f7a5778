"""Reads of a talk's earlier versions and annotations, scoped like the talk itself: each reader sees,
of each earlier version, only the fields the policy shows them of the talk (talks/rules.py
``talk_fields``: nobody but the author reads the recorded text), and annotations only if they may
read the recorded text. Every read of text is audited, like a read of the talk."""

from __future__ import annotations

from dataclasses import dataclass

from talks.models import Talk, TalkAnnotation, TalkVersion
from talks.rules import TEXT_FIELDS
from wellbeing import policy
from wellbeing.audit import audit_sensitive_read


@dataclass(frozen=True)
class EarlierVersion:
    """One earlier version, with the fields (visible to the reader) that the next version changed."""

    version: TalkVersion
    changed: tuple[str, ...]


def _subject(talk: Talk):
    people = [p.person for p in talk.participations.all()]
    return people[0] if len(people) == 1 else None


def talk_versions_for_user(*, user, talk: Talk) -> list[EarlierVersion]:
    """The talk's earlier versions, newest first, each with the fields the reader may see that the
    amendment after it changed (a version whose visible fields did not change is left out). The
    reads of recorded text are audited, one entry per version shown with text."""
    if talk.version <= 1:
        return []
    visible = policy.visible_fields(user, talk) & set(Talk.AMENDABLE_FIELDS)
    if not visible:
        return []
    versions = list(talk.versions.select_related("edited_by__person").order_by("-number"))
    shown: list[EarlierVersion] = []
    after: object = talk  # the version that replaced the one being looked at
    for version in versions:
        changed = tuple(
            name for name in Talk.AMENDABLE_FIELDS if name in visible and getattr(version, name) != getattr(after, name)
        )
        if changed:
            shown.append(EarlierVersion(version, changed))
        after = version
    subject = _subject(talk)
    for entry in shown:
        text = [name for name in entry.changed if name in TEXT_FIELDS]
        if text:
            audit_sensitive_read(actor=user, target=entry.version, fields=text, subject_person=subject)
    return shown


def talk_annotations_for_user(*, user, talk: Talk) -> list[TalkAnnotation]:
    """The author's annotations, oldest first, for whoever may read the talk's recorded text (audited);
    nothing for anyone else."""
    if not policy.can(user, "talk.read_text", talk):
        return []
    annotations = list(talk.annotations.select_related("written_by__person").order_by("created_at", "id"))
    if annotations:
        audit_sensitive_read(
            actor=user,
            target=talk,
            fields=["annotations"],
            subject_person=_subject(talk),
        )
    return annotations
