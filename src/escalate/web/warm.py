"""What a process loads once, at boot, so that its first request pays nothing for it.

A web worker (``config/wsgi.py``) and the background worker (``run_worker``) call
:func:`warm_up` as they start: the procedure definitions are read and validated, and each UK
division's working calendar (its bank holidays) is built. Without it the first page a fresh
worker serves paid for both.
"""

from __future__ import annotations

from escalate.directory.procedures import registry
from escalate.procedures.calendar import working_calendar
from escalate.procedures.schema import Division


def warm_up() -> None:
    registry()
    for division in Division:
        working_calendar(division)
