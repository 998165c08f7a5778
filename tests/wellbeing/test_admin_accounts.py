"""Login accounts in the admin: no way around the policy, and a clinical account's password reset is
seen by the lead counsellors."""

from wellbeing.models import AuditEvent, Notification


def test_the_admin_offers_no_superuser_flag_groups_or_permissions(org, as_principal):
    admin = as_principal("administrator")
    user = org.users["staff"]
    url = f"/admin/auth/user/{user.pk}/change/"
    form = admin.get(url).context["adminform"].form
    assert not {"is_superuser", "is_staff", "groups", "user_permissions"} & set(form.fields)
    data = {"username": "staff", "email": "wangjing@example.gov.cn", "is_active": "on", "is_superuser": "on"}
    assert admin.post(url, data).status_code == 302
    user.refresh_from_db()
    assert user.is_superuser is False
    assert AuditEvent.objects.filter(target_type__model="user", target_id=str(user.pk), actor_label="administrator")


def test_a_password_reset_is_audited_and_a_clinical_one_is_told_to_the_lead_counsellors(org, as_principal):
    admin = as_principal("administrator")
    counsellor = org.users["counsellor"]
    response = admin.post(
        f"/admin/auth/user/{counsellor.pk}/password/",
        {"password1": "Another-Long-Pass-77", "password2": "Another-Long-Pass-77", "usable_password": "true"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(target_type__model="user", target_id=str(counsellor.pk), changes__has_key="password")
    assert event.actor_label == "administrator" and "Another" not in str(event.changes)
    told = Notification.objects.filter(recipient=org.users["lead_counsellor"], title__isnull=False)
    assert any("刘咨询" in n.display_title for n in told)


def test_accounts_are_never_deleted(org, as_principal):
    admin = as_principal("administrator")
    response = admin.get(f"/admin/auth/user/{org.users['staff'].pk}/delete/")
    assert response.status_code == 403
