"""The directory's admin pages open for a system administrator."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from escalate.directory.models import Agency, ClosureDay, Partnership, Person, StageContact
from tests.support import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    user = get_user_model().objects.create_superuser(
        username="root", email="root@example.org", password="a-long-admin-password"
    )
    client = Client()
    sign_in(client, user)
    return client


def test_every_directory_admin_page_opens(admin_client_: Client) -> None:
    p = Partnership.objects.create(
        slug="p",
        name="P Board",
        short_name="P",
        procedure_id="redbridge-sab",
        procedure_version="1",
    )
    ClosureDay.objects.create(partnership=p, on="2026-12-29", reason="Office closed")
    agency = Agency.objects.create(partnership=p, name="P Police", agency_type="police")
    person = Person.objects.create(
        agency=agency, name="Sam Example", job_title="DS", level="line-manager"
    )
    StageContact.objects.create(agency=agency, stage=1, person=person, role="DS")
    for model, obj in (
        ("partnership", p),
        ("agency", agency),
        ("person", person),
        ("stagecontact", StageContact.objects.get()),
    ):
        changelist = reverse(f"admin:directory_{model}_changelist")
        assert admin_client_.get(changelist).status_code == 200
        assert admin_client_.get(changelist, {"q": "Sam"}).status_code == 200
        change = reverse(f"admin:directory_{model}_change", args=[obj.pk])
        assert admin_client_.get(change).status_code == 200
    filtered = reverse("admin:directory_person_changelist")
    response = admin_client_.get(
        filtered, {"level": "line-manager", "agency__id__exact": str(agency.pk)}
    )
    assert response.status_code == 200
    assert b"Sam Example" in response.content
