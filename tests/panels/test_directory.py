"""Who may sit on a partnership's panels is directory data: a seat names the partnership, the
kind of panel, the person and the agency they represent, all in the one partnership."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from escalate.directory.models import PanelSeat
from tests.cases.conftest import make_world
from tests.panels.support import person, seat

pytestmark = pytest.mark.django_db


def test_a_seat_is_in_one_partnership() -> None:
    one, two = make_world("sunderland-sab"), make_world("sunderland-sab", slug="two")
    ok = PanelSeat(
        partnership=one.partnership, kind="sub-committee", person=person(one, "c"), agency=one.a
    )
    ok.full_clean()  # someone of the police, sitting for the council: the business unit's call
    stranger = PanelSeat(
        partnership=one.partnership, kind="sub-committee", person=person(two, "c"), agency=two.a
    )
    with pytest.raises(ValidationError) as caught:
        stranger.full_clean()
    assert caught.value.message_dict == {
        "person": ["Choose someone in this partnership."],
        "agency": ["Choose an agency in this partnership."],
    }
    with pytest.raises(ValidationError, match="not a valid choice"):
        PanelSeat(
            partnership=one.partnership, kind="tribunal", person=person(one, "c"), agency=one.c
        ).full_clean()


def test_a_seat_once() -> None:
    world = make_world("sunderland-sab")
    seat(person(world, "c"), "sub-committee")
    with pytest.raises(IntegrityError):
        seat(person(world, "c"), "sub-committee")
