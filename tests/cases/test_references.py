"""An escalation's reference however it is typed, found through the unique index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from escalate.cases.models import REFERENCE_RE, new_reference
from escalate.cases.references import escalation_reference
from escalate.procedures.schema import Level
from tests.cases.conftest import World, raise_one
from tests.support import signed_in

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ESC-AB12-CD34", "ESC-AB12-CD34"),
        ("esc-ab12-cd34", "ESC-AB12-CD34"),
        ("  ESC AB12 CD34 ", "ESC-AB12-CD34"),
        ("ESCAB12CD34", "ESC-AB12-CD34"),
        ("ESC\u2013AB12\u2014CD34", "ESC-AB12-CD34"),  # dashes from a word processor
        ("ESC-AB1O-CDIL", "ESC-AB10-CD11"),  # O for 0, I and L for 1 (Crockford)
        ("".join(chr(0xFEE0 + ord(c)) for c in "ESCAB12CD34"), "ESC-AB12-CD34"),  # full width
    ],
)
def test_a_reference_however_typed(typed: str, stored: str) -> None:
    assert escalation_reference(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "ESC", "ESC-AB12", "ESC-AB12-CD345", "XYZ-AB12-CD34", "\x00"]
)
def test_what_is_not_a_reference_names_none(typed: str) -> None:
    assert escalation_reference(typed) is None


@given(st.sampled_from([" ", "-", "", "\u2013"]), st.booleans())
def test_every_reference_survives_its_own_spellings(separator: str, lower: bool) -> None:
    reference = new_reference()
    head, tail = reference[4:8], reference[9:]
    typed = f"ESC{separator}{head}{separator}{tail}"
    assert escalation_reference(typed.lower() if lower else typed) == reference
    assert REFERENCE_RE.match(reference)
    assert set(head + tail) <= set(ALPHABET)


def test_the_list_finds_a_reference_however_typed_by_an_exact_match(world: World) -> None:
    esc = raise_one(world)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    spelled = esc.reference.lower().replace("-", " ")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/escalations/", {"reference": spelled}).content.decode()
    assert esc.reference in page
    searched = [q["sql"] for q in queries if '"reference" =' in q["sql"]]
    assert searched, "the search compares the stored reference exactly"
    assert not any("UPPER(" in q["sql"] for q in queries), "no UPPER(): the unique index serves"
    nothing = client.get("/escalations/", {"reference": "ESC-0000-0000"}).content.decode()
    assert esc.reference not in nothing


def test_the_escalation_page_answers_a_reference_typed_in_lower_case(world: World) -> None:
    esc = raise_one(world)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    assert client.get(f"/escalations/{esc.reference.lower()}/").status_code == 200
