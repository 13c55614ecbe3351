"""The one place the application reads the clock.

Services never read it: they take the date (and where it matters the moment) they act on as
arguments. The web layer passes what this module says; tests, the demo and the deadline sweep
pass their own.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """This moment, time-zone aware."""
    return timezone.now()


def today() -> dt.date:
    """Today in the service's time zone (``TIME_ZONE``, Europe/London)."""
    return timezone.localdate()
