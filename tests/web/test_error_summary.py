"""Every error summary is titled "There is a problem", as the GOV.UK error summary says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import escalate
from escalate.procedures.schema import Level
from tests.cases.conftest import make_world, raise_one
from tests.support import signed_in

TEMPLATES = Path(escalate.__file__).parent / "templates"
TITLE = re.compile(
    r'class="govuk-error-summary__title"[^>]*>(?P<title>.*?)</h2>', re.DOTALL | re.IGNORECASE
)
SUMMARY_TITLE = '<h2 class="govuk-error-summary__title">There is a problem</h2>'


def test_no_template_titles_an_error_summary_otherwise() -> None:
    titles = {
        str(path.relative_to(TEMPLATES)): match.group("title").strip()
        for path in TEMPLATES.rglob("*.html")
        for match in TITLE.finditer(path.read_text(encoding="utf-8"))
    }
    assert titles  # the shared include at least
    assert {path: t for path, t in titles.items() if t != "There is a problem"} == {}


def test_every_error_summary_comes_from_the_shared_include_or_says_so() -> None:
    """A hand-made summary must carry the title too: no summary without the title."""
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if 'class="govuk-error-summary"' in text:
            assert SUMMARY_TITLE in text, path


@pytest.mark.django_db
def test_an_action_page_with_errors_is_titled_there_is_a_problem() -> None:
    """The action pages pass their own ``title`` to the template: it must not become the
    error summary's title."""
    world = make_world("north-east-lincolnshire")
    esc = raise_one(world)
    client = signed_in(world.user("a", Level.PRACTITIONER))
    response = client.post(f"/escalations/{esc.reference}/escalate/", {"version": esc.version})
    assert response.status_code == 200
    text = response.content.decode()
    assert [m.group("title").strip() for m in TITLE.finditer(text)] == ["There is a problem"]
