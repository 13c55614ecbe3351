"""Admin additions, changes and deletions (bulk ones too) become admin-change entries."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from escalate.audit.admin_mixin import AuditedAdminMixin
from escalate.audit.models import AuditAction, AuditEntry
from escalate.directory.models import Agency, Person
from tests.cases.conftest import World

pytestmark = pytest.mark.django_db


class AgencyAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


def test_admin_changes_are_recorded_with_ids_not_names(world: World) -> None:
    request = RequestFactory().post("/admin/", REMOTE_ADDR="192.0.2.77")
    request.user = world.bu_user
    model_admin = AgencyAdmin(Agency, admin.site)
    model_admin.log_addition(request, world.a, "added")
    model_admin.log_change(request, world.b, "changed")
    model_admin.log_deletions(request, Agency.objects.filter(pk__in=[world.a.pk, world.c.pk]))
    entries = list(AuditEntry.objects.filter(action=AuditAction.ADMIN_CHANGE))
    assert [(e.object_ref, e.detail["change"]) for e in entries] == [
        (str(world.a.pk), "added"),
        (str(world.b.pk), "changed"),
        (str(world.a.pk), "deleted"),
        (str(world.c.pk), "deleted"),
    ]
    assert {e.object_type for e in entries} == {"directory.agency"}
    assert {e.partnership_id for e in entries} == {world.partnership.pk}
    assert {e.ip for e in entries} == {"192.0.2.77"}
    assert {e.actor_id for e in entries} == {world.bu_user.pk}
    assert all(world.a.name not in str(e.hash_payload()) for e in entries)


def test_a_person_is_scoped_through_their_agency(world: World) -> None:
    request = RequestFactory().post("/admin/")
    request.user = world.bu_user
    person = Person.objects.filter(agency=world.b).first()
    assert person is not None
    model_admin = type("PersonAdmin", (AuditedAdminMixin, admin.ModelAdmin), {})(Person, admin.site)
    model_admin.log_change(request, person, "changed")
    entry = AuditEntry.objects.get(action=AuditAction.ADMIN_CHANGE)
    assert (entry.object_type, entry.partnership_id) == ("directory.person", world.partnership.pk)
    assert person.name not in str(entry.hash_payload())


def test_every_admin_page_is_audited() -> None:
    """Django's groups and django-axes' lockout records too, and any admin added later."""
    from escalate.audit.admin_mixin import AuditedAdminMixin

    registered = admin.site._registry
    assert len(registered) >= 10
    unaudited = [
        m._meta.label for m, a in registered.items() if not isinstance(a, AuditedAdminMixin)
    ]
    assert unaudited == []
    labels = {m._meta.label_lower for m in registered}
    assert {"auth.group", "axes.accessattempt"} <= labels


def test_unlocking_a_locked_out_username_is_recorded(world: World) -> None:
    """Deleting an access attempt in the admin lifts a lockout: an administrative action."""
    from axes.models import AccessAttempt
    from django.urls import reverse

    from escalate.accounts.models import User
    from escalate.audit.models import AuditEntry
    from tests.support import signed_in

    attempt = AccessAttempt.objects.create(
        username="someone",
        ip_address="192.0.2.1",
        user_agent="test",
        get_data="",
        post_data="",
        failures_since_start=5,
    )
    root = User.objects.create_superuser(username="root", email="root@x.invalid", password="x")
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert signed_in(root).post(url, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    [entry] = AuditEntry.objects.filter(action="admin-change", object_type="axes.accessattempt")
    assert entry.detail == {"change": "deleted"} and entry.object_ref == str(attempt.pk)
