"""What a process loads once, at boot, so that its first request pays nothing for it.

The background worker (``run_worker``) calls :func:`warm_up`: the procedure definitions are
read and validated, and each UK division's working calendar (its bank holidays) is built. A
web worker (``config/wsgi.py``) calls :func:`warm_up_web`, which also builds the URL map and
compiles the templates of the pages people open most. Without it the first page a fresh worker
served paid for all of these.
"""

from __future__ import annotations

from django.template.loader import get_template
from django.urls import reverse

from escalate.directory.procedures import registry
from escalate.procedures.calendar import working_calendar
from escalate.procedures.schema import Division

#: The pages a signed-in person opens first, and the sign-in page.
TEMPLATES = (
    "cases/home.html",
    "cases/list.html",
    "cases/detail.html",
    "accounts/sign_in.html",
)


def warm_up() -> None:
    registry()
    for division in Division:
        working_calendar(division)


def warm_up_web() -> None:
    warm_up()
    reverse("cases:home")  # builds the URL resolver (imports every view)
    for name in TEMPLATES:
        get_template(name)  # compiled once, kept by the cached template loader
