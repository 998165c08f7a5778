import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tests.support.models import SensitiveNote
from wellbeing.encryption import DecryptionError, encrypted_fields
from wellbeing.models import AuditEvent

SECRET = "他最近压力很大，提到过不想活了 — confidential"


def _raw_rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {SensitiveNote._meta.db_table}")
        return cursor.fetchall()


@pytest.mark.django_db
def test_the_table_holds_no_plaintext():
    SensitiveNote.objects.create(title="t", body=SECRET, extra=SECRET)
    dump = repr(_raw_rows())
    assert SECRET not in dump
    assert "压力" not in dump and "confidential" not in dump
    assert SensitiveNote.objects.get().body == SECRET


@pytest.mark.django_db
def test_the_same_text_encrypts_differently_each_time():
    a = SensitiveNote.objects.create(title="a", body=SECRET)
    b = SensitiveNote.objects.create(title="b", body=SECRET)
    rows = {row[0]: row[2] for row in _raw_rows()}
    assert rows[a.pk] != rows[b.pk]


@pytest.mark.django_db
def test_null_stays_null_and_empty_text_round_trips():
    note = SensitiveNote.objects.create(title="t", body="", extra=None)
    note.refresh_from_db()
    assert note.body == "" and note.extra is None


@pytest.mark.django_db
def test_a_wrong_key_raises_and_never_returns_ciphertext():
    SensitiveNote.objects.create(title="t", body=SECRET)
    with override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]), pytest.raises(DecryptionError):
        SensitiveNote.objects.get()


@pytest.mark.django_db
def test_encrypted_fields_cannot_be_searched():
    with pytest.raises(TypeError, match="cannot be filtered"):
        list(SensitiveNote.objects.filter(body__icontains="压力"))


@pytest.mark.django_db
def test_key_rotation(settings):
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    SensitiveNote.objects.create(title="t", body=SECRET, extra="第二段")
    new_key = Fernet.generate_key().decode()

    # A new key goes first: old rows still decrypt (old keys stay in the list) and new writes use it.
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]
    assert SensitiveNote.objects.get().body == SECRET
    SensitiveNote.objects.create(title="new", body="新写入")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        assert SensitiveNote.objects.get(title="new").body == "新写入"
        with pytest.raises(DecryptionError):
            SensitiveNote.objects.get(title="t")

    # The command re-encrypts existing rows with the new key; then the old keys can go.
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    note = SensitiveNote.objects.get(title="t")
    assert (note.body, note.extra) == (SECRET, "第二段")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.KEYS_ROTATED).exists()


def test_every_encrypted_field_is_found_for_rotation():
    assert (SensitiveNote, ["body", "extra"]) in encrypted_fields()
