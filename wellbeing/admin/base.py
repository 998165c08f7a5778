"""The audited configuration admin: the base of every configuration model's admin (other apps' too)."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from wellbeing import services


class AuditedConfigurationAdmin(admin.ModelAdmin):
    """For configuration models: every add, change and delete goes through
    ``services.configuration_save`` / ``configuration_delete``, which validate, write and audit (who,
    old and new values; sensitive fields only as "changed"). The service's validation runs inside the
    form, so a refusal shows as a form error, never as a server error. Other apps' admins use it too
    (talks/admin.py)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)

        class ConfigurationForm(base):
            def _post_clean(self):
                super()._post_clean()
                if self.errors:
                    return
                try:
                    services.configuration_validate(instance=self.instance)
                except ValidationError as exc:
                    self._update_errors(exc)

        ConfigurationForm.__name__ = base.__name__
        return ConfigurationForm

    def save_model(self, request, obj, form, change):
        services.configuration_save(
            actor=request.user, instance=obj, changed_fields=form.changed_data if change else None
        )

    def delete_model(self, request, obj):
        services.configuration_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.configuration_delete(actor=request.user, instance=obj)
