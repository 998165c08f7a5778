from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Test-only models (installed by config.settings.test only)."""

    name = "tests.support"
    label = "test_support"
