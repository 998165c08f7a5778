from django.db import models

from wellbeing.encryption import EncryptedTextField


class SensitiveNote(models.Model):
    """A stand-in for talk summaries and case notes in the encryption tests."""

    title = models.CharField(max_length=100)
    body = EncryptedTextField(blank=True)
    extra = EncryptedTextField(null=True, blank=True)

    class Meta:
        app_label = "test_support"

    def __str__(self) -> str:
        return self.title
