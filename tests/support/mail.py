"""An e-mail backend that fails a set number of times, then records what it sends."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class FlakyBackend(BaseEmailBackend):
    failures_left = 0
    sent: list = []

    def send_messages(self, messages):
        if FlakyBackend.failures_left > 0:
            FlakyBackend.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("SMTP server went away")
        FlakyBackend.sent.extend(messages)
        return len(messages)
