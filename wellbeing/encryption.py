"""Encryption at rest for sensitive free text (talk summaries, case notes, safety plans, answers).

Built on ``cryptography``'s Fernet (AES-128-CBC + HMAC-SHA256, authenticated) and MultiFernet for
key rotation: ``FIELD_ENCRYPTION_KEYS`` lists keys newest first; the first encrypts, every key
decrypts, and ``manage.py rotate_encryption_keys`` re-encrypts existing rows with the first key.

A value that no configured key can decrypt raises ``DecryptionError``: ciphertext is never handed
back as if it were text. (Libraries that fall back to returning the stored value were rejected for
that reason; see docs/security.md.)
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.core.validators import MaxLengthValidator
from django.db import migrations, models
from django.dispatch import receiver


class DecryptionError(Exception):
    """Stored ciphertext could not be decrypted with any configured key."""


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: sensitive text cannot be stored.")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(generate one with: python manage.py generate_encryption_key)."
        ) from exc


@receiver(setting_changed)
def _reset_keys(*, setting, **kwargs):
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise DecryptionError(
            "Stored sensitive text could not be decrypted with the configured keys (wrong or missing key)."
        ) from exc


def rotate_token(token: str) -> str:
    """Re-encrypt one stored token with the newest key."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError("A stored value could not be decrypted for rotation.") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


class EncryptedTextField(models.TextField):
    """A TextField stored encrypted. It cannot be searched or filtered on (except ``isnull``).
    ``max_length`` limits the text (not the stored ciphertext) and is checked by model validation."""

    description = "Encrypted text"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt_text(str(value))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return decrypt_text(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise TypeError(f"Encrypted fields cannot be filtered with '{lookup_name}'.")
        return super().get_lookup(lookup_name)


class EncryptedJSONField(EncryptedTextField):
    """A small JSON object stored encrypted: the parameters of a message rendered at display time
    (``wellbeing.messages``), which may hold names. Reads back as a dict (``{}`` when empty).
    ``EncryptedJSONListField`` holds a list instead (a screening's answers)."""

    description = "Encrypted JSON"

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_text(json.dumps(self.to_python(value), ensure_ascii=False, sort_keys=True))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return self.to_python(decrypt_text(value))

    def to_python(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value) if value else {}
            except ValueError:
                return {}
        return value if isinstance(value, dict) else {}

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, sort_keys=True)


class EncryptedJSONListField(EncryptedJSONField):
    """A JSON list stored encrypted (a screening's answer vector). Reads back as a list (``[]`` when
    empty); anything else is refused on the way in, never silently stored as something else."""

    description = "Encrypted JSON list"

    def get_prep_value(self, value):
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            raise TypeError("An encrypted list field stores a list.")
        return encrypt_text(json.dumps(list(value), ensure_ascii=False))

    def to_python(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value) if value else []
            except ValueError:
                return []
        return list(value) if isinstance(value, list | tuple) else []


def encrypt_existing(table: str, columns: list[str]):
    """A migration operation that encrypts the plaintext already stored in ``columns`` of ``table``
    when a text column becomes an EncryptedTextField (and decrypts it again when unapplied)."""

    def convert(apps, schema_editor, transform):
        connection = schema_editor.connection
        qn = connection.ops.quote_name
        select = (
            f"SELECT {qn('id')}, {', '.join(qn(c) for c in columns)} FROM {qn(table)} "
            f"WHERE {qn('id')} > %s ORDER BY {qn('id')} LIMIT 1000"
        )
        update = f"UPDATE {qn(table)} SET {', '.join(f'{qn(c)} = %s' for c in columns)} WHERE {qn('id')} = %s"
        last = 0
        with connection.cursor() as cursor:
            while True:  # in batches by id, so a large table never sits in memory
                cursor.execute(select, [last])
                rows = cursor.fetchall()
                for row in rows:
                    values = [transform(v) if v is not None else None for v in row[1:]]
                    cursor.execute(update, [*values, row[0]])
                if len(rows) < 1000:
                    break
                last = rows[-1][0]

    return migrations.RunPython(
        lambda apps, schema_editor: convert(apps, schema_editor, encrypt_text),
        lambda apps, schema_editor: convert(apps, schema_editor, decrypt_text),
    )


def encrypted_fields():
    """Every (model, [field names]) pair holding encrypted text, across installed apps."""
    found = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found
