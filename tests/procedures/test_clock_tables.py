"""Table tests of the clock: every stage and obligation due date of the five procedures.

Every expected date below was counted by hand on a real calendar (docs/procedures.md: "O + N" is
the N-th working day strictly after the outset, "E + N" after the stage's entry, N = 0 is the day
itself or the next working day). Nothing here is computed by the code under test. Dates are
written "Mon 22 Dec 2025" and :func:`day` refuses a weekday that does not match the date, so a
slip in the hand counting shows up as an error, not as a wrong expectation.

Bank holidays assumed (checked in :func:`test_bank_holidays_the_tables_assume`):
  England and Wales: Thu 25 Dec 2025, Fri 26 Dec 2025, Thu 1 Jan 2026, Fri 3 Apr (Good Friday),
    Mon 6 Apr (Easter Monday), Mon 4 May, Mon 25 May, Mon 31 Aug, Fri 25 Dec 2026,
    Mon 28 Dec 2026 (Boxing Day substitute), Fri 1 Jan 2027.
  Scotland: as England and Wales but with Fri 2 Jan 2026 and Mon 4 Jan 2027 (2nd January), no
    Easter Monday, summer holiday Mon 3 Aug 2026 (not 31 Aug), St Andrew's Day Mon 30 Nov 2026.
  Northern Ireland: as England and Wales plus Tue 17 Mar 2026 (St Patrick's Day) and
    Mon 13 Jul 2026 (Battle of the Boyne).
"""

import datetime as dt
from typing import NamedTuple

import pytest

from escalate.procedures import clock
from escalate.procedures.calendar import working_calendar
from escalate.procedures.registry import load_registry
from escalate.procedures.schema import Division

D = dt.date
EW = Division.ENGLAND_AND_WALES
SCOT = Division.SCOTLAND
NI = Division.NORTHERN_IRELAND
REGISTRY = load_registry()

ACTUAL = False  # entered_is_planned: an actual entry (or no entry at all)
PLANNED = True  # entered_is_planned: planned on the previous stage's due date

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}
_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def day(text: str) -> dt.date:
    """'Mon 22 Dec 2025' -> 2025-12-22, refusing a weekday that does not match the date."""
    weekday, number, month, year = text.split()
    on = D(int(year), _MONTHS[month], int(number))
    assert _WEEKDAYS[on.weekday()] == weekday, f"{text!r} is a {_WEEKDAYS[on.weekday()]}"
    return on


def opt(text: str | None) -> dt.date | None:
    return None if text is None else day(text)


class Stage(NamedTuple):
    number: int
    entered: str | None
    planned: bool
    due: str | None
    obligations: tuple[str | None, ...]  # due dates in the definition's order


class Case(NamedTuple):
    name: str
    division: Division
    facts: clock.Facts
    overall: str | None
    stages: tuple[Stage, ...]


def facts(
    outset: str,
    entered: dict[int, str] | None = None,
    events: tuple[tuple[int, str, str], ...] = (),
    closed_on: str | None = None,
) -> clock.Facts:
    return clock.Facts(
        outset_on=day(outset),
        entered={n: day(on) for n, on in (entered or {}).items()},
        events=tuple(clock.EventFact(n, e, day(on)) for n, e, on in events),
        closed_on=opt(closed_on),
    )


N3: tuple[None, ...] = (None, None, None)
N4: tuple[None, ...] = (None, None, None, None)
N5: tuple[None, ...] = (None, None, None, None, None)


# =======================================================================================
# north-somerset-sab. Stages: 1 O+1, 2 O+2, 3 O+3, 4 and 5 none. Overall O+5 (until stage 4).
# Obligations, in order:
#   1: discuss-with-other-practitioner O+1, report-to-line-manager -, line-manager-contact O+1,
#      feed-back-agreed-action resolved+0, record-in-case-notes -
#   2: refer-to-second-tier -, keep-records -, communicate-resolution-in-writing -
#   3: record-in-case-file -, complete-monitoring-form -, send-monitoring-form -
#   4: refer-to-board-representative -, board-level-discussion -,
#      contact-business-manager board-discussion-unresolved+0, consider-mediation-or-panel -,
#      return-monitoring-form -
#   5: panel-decision -
# Stage 5 cannot be planned (stage 4 has no due date): entered null, due null.

NS = "north-somerset-sab"


def ns(name: str, division: Division, o: str, o1: str, o2: str, o3: str, o5: str) -> Case:
    """Nothing entered yet: 2, 3 and 4 planned on the previous stage's due date."""
    return Case(
        name,
        division,
        facts(o),
        o5,
        (
            Stage(1, o, ACTUAL, o1, (o1, None, o1, None, None)),
            Stage(2, o1, PLANNED, o2, N3),
            Stage(3, o2, PLANNED, o3, N3),
            Stage(4, o3, PLANNED, None, N5),
            Stage(5, None, ACTUAL, None, (None,)),
        ),
    )


# fmt: off
NS_CASES = [
    # Fri 19 Dec 2025: 22, 23, 24, 29 (25, 26 BH), 30
    #   -> O+1 Mon 22, O+2 Tue 23, O+3 Wed 24, O+5 Tue 30
    ns("ew-fri-19-dec", EW, "Fri 19 Dec 2025",
       "Mon 22 Dec 2025", "Tue 23 Dec 2025", "Wed 24 Dec 2025", "Tue 30 Dec 2025"),
    # Wed 24 Dec 2025: 29 (25, 26 BH), 30, 31, 2 (1 BH), 5 -> O+5 Mon 5 Jan
    ns("ew-wed-24-dec", EW, "Wed 24 Dec 2025",
       "Mon 29 Dec 2025", "Tue 30 Dec 2025", "Wed 31 Dec 2025", "Mon 5 Jan 2026"),
    # Scotland, Wed 24 Dec 2025: 29, 30, 31, 5 (1, 2 Jan BH), 6 -> O+5 Tue 6 Jan
    ns("scot-wed-24-dec", SCOT, "Wed 24 Dec 2025",
       "Mon 29 Dec 2025", "Tue 30 Dec 2025", "Wed 31 Dec 2025", "Tue 6 Jan 2026"),
    # NI, Wed 24 Dec 2025: as E&W (2 Jan is a working day) -> O+5 Mon 5 Jan
    ns("ni-wed-24-dec", NI, "Wed 24 Dec 2025",
       "Mon 29 Dec 2025", "Tue 30 Dec 2025", "Wed 31 Dec 2025", "Mon 5 Jan 2026"),
    # outset on a bank holiday, Thu 25 Dec 2025: 29 (26 BH), 30, 31, 2, 5
    ns("ew-thu-25-dec-bh", EW, "Thu 25 Dec 2025",
       "Mon 29 Dec 2025", "Tue 30 Dec 2025", "Wed 31 Dec 2025", "Mon 5 Jan 2026"),
    # outset on a Saturday, 27 Dec 2025: 29, 30, 31, 2, 5
    ns("ew-sat-27-dec", EW, "Sat 27 Dec 2025",
       "Mon 29 Dec 2025", "Tue 30 Dec 2025", "Wed 31 Dec 2025", "Mon 5 Jan 2026"),
    # Thu 2 Apr 2026: 7 (3 GF, 6 EM), 8, 9, 10, 13
    ns("ew-thu-2-apr", EW, "Thu 2 Apr 2026",
       "Tue 7 Apr 2026", "Wed 8 Apr 2026", "Thu 9 Apr 2026", "Mon 13 Apr 2026"),
    # Scotland, Thu 2 Apr 2026: 6 (3 GF; no Easter Monday), 7, 8, 9, 10
    ns("scot-thu-2-apr", SCOT, "Thu 2 Apr 2026",
       "Mon 6 Apr 2026", "Tue 7 Apr 2026", "Wed 8 Apr 2026", "Fri 10 Apr 2026"),
    # NI, Thu 2 Apr 2026: as E&W, 7, 8, 9, 10, 13
    ns("ni-thu-2-apr", NI, "Thu 2 Apr 2026",
       "Tue 7 Apr 2026", "Wed 8 Apr 2026", "Thu 9 Apr 2026", "Mon 13 Apr 2026"),
    # Fri 1 May 2026: 5 (4 BH), 6, 7, 8, 11
    ns("ew-fri-1-may", EW, "Fri 1 May 2026",
       "Tue 5 May 2026", "Wed 6 May 2026", "Thu 7 May 2026", "Mon 11 May 2026"),
    # Thu 21 May 2026: 22, 26 (25 BH), 27, 28, 29
    ns("ew-thu-21-may", EW, "Thu 21 May 2026",
       "Fri 22 May 2026", "Tue 26 May 2026", "Wed 27 May 2026", "Fri 29 May 2026"),
    # Mon 16 Mar 2026: 17, 18, 19, 20, 23
    ns("ew-mon-16-mar", EW, "Mon 16 Mar 2026",
       "Tue 17 Mar 2026", "Wed 18 Mar 2026", "Thu 19 Mar 2026", "Mon 23 Mar 2026"),
    # NI, Mon 16 Mar 2026: 18 (17 St Patrick's), 19, 20, 23, 24
    ns("ni-mon-16-mar", NI, "Mon 16 Mar 2026",
       "Wed 18 Mar 2026", "Thu 19 Mar 2026", "Fri 20 Mar 2026", "Tue 24 Mar 2026"),
    # Resolved at stage 1 on Sat 20 Dec 2025: feed back the same working day -> Mon 22 Dec
    Case("ew-19-dec-resolved-sat", EW,
         facts("Fri 19 Dec 2025", events=((1, "resolved", "Sat 20 Dec 2025"),)),
         "Tue 30 Dec 2025", (
             Stage(1, "Fri 19 Dec 2025", ACTUAL, "Mon 22 Dec 2025",
                   ("Mon 22 Dec 2025", None, "Mon 22 Dec 2025", "Mon 22 Dec 2025", None)),
             Stage(2, "Mon 22 Dec 2025", PLANNED, "Tue 23 Dec 2025", N3),
             Stage(3, "Tue 23 Dec 2025", PLANNED, "Wed 24 Dec 2025", N3),
             Stage(4, "Wed 24 Dec 2025", PLANNED, None, N5),
             Stage(5, None, ACTUAL, None, (None,)),
         )),
    # Actual entries (dues stay outset-anchored); the Board discussion fails on Sat 27 Dec:
    # contact the Business Manager the same working day -> Mon 29 Dec (27, 28 weekend)
    Case("ew-19-dec-entered", EW,
         facts("Fri 19 Dec 2025",
               entered={2: "Fri 19 Dec 2025", 3: "Mon 22 Dec 2025", 4: "Tue 23 Dec 2025"},
               events=((4, "board-discussion-unresolved", "Sat 27 Dec 2025"),)),
         "Tue 30 Dec 2025", (
             Stage(1, "Fri 19 Dec 2025", ACTUAL, "Mon 22 Dec 2025",
                   ("Mon 22 Dec 2025", None, "Mon 22 Dec 2025", None, None)),
             Stage(2, "Fri 19 Dec 2025", ACTUAL, "Tue 23 Dec 2025", N3),
             Stage(3, "Mon 22 Dec 2025", ACTUAL, "Wed 24 Dec 2025", N3),
             Stage(4, "Tue 23 Dec 2025", ACTUAL, None,
                   (None, None, "Mon 29 Dec 2025", None, None)),
             Stage(5, None, ACTUAL, None, (None,)),
         )),
    # At stage 5 after going from 1 straight to 4: 2 and 3 were never entered (null, not
    # planned) but keep their outset-anchored dues.
    Case("ew-19-dec-at-stage-5", EW,
         facts("Fri 19 Dec 2025", entered={4: "Mon 29 Dec 2025", 5: "Mon 12 Jan 2026"}),
         "Tue 30 Dec 2025", (
             Stage(1, "Fri 19 Dec 2025", ACTUAL, "Mon 22 Dec 2025",
                   ("Mon 22 Dec 2025", None, "Mon 22 Dec 2025", None, None)),
             Stage(2, None, ACTUAL, "Tue 23 Dec 2025", N3),
             Stage(3, None, ACTUAL, "Wed 24 Dec 2025", N3),
             Stage(4, "Mon 29 Dec 2025", ACTUAL, None, N5),
             Stage(5, "Mon 12 Jan 2026", ACTUAL, None, (None,)),
         )),
]
# fmt: on


# =======================================================================================
# north-east-lincolnshire. Stages: 1 O+2, 2 O+8, 3 O+11, 4 O+15, 5 O+22. Overall O+22.
# Obligations, in order:
#   1: consult-line-manager -, approach-other-practitioner O+2, record-outcome -
#   2: discuss-with-counterpart -, record-points-of-agreement -
#   3: notify-line-managers -, report-procedural-change -
#   4: (none)
#   5: email-business-manager E+0, chair-recommendation chair-notified+5

NEL = "north-east-lincolnshire"


def nel(
    name: str, division: Division, o: str, o2: str, o8: str, o11: str, o15: str, o22: str
) -> Case:
    """Nothing entered yet: each stage planned on the previous stage's due date."""
    return Case(
        name,
        division,
        facts(o),
        o22,
        (
            Stage(1, o, ACTUAL, o2, (None, o2, None)),
            Stage(2, o2, PLANNED, o8, (None, None)),
            Stage(3, o8, PLANNED, o11, (None, None)),
            Stage(4, o11, PLANNED, o15, ()),
            # e-mail the business manager the same working day as the (planned) entry
            Stage(5, o15, PLANNED, o22, (o15, None)),
        ),
    )


# fmt: off
NEL_CASES = [
    # Fri 19 Dec 2025: 22, 23(2), 24, 29 (25, 26 BH), 30, 31, 2 (1 BH), 5(8), 6, 7, 8(11), 9, 12,
    # 13, 14(15), 15, 16, 19, 20, 21, 22, 23(22)
    nel("ew-fri-19-dec", EW, "Fri 19 Dec 2025", "Tue 23 Dec 2025", "Mon 5 Jan 2026",
        "Thu 8 Jan 2026", "Wed 14 Jan 2026", "Fri 23 Jan 2026"),
    # Scotland, Fri 19 Dec 2025: 22, 23(2), 24, 29, 30, 31, 5 (1, 2 Jan BH), 6(8), 7, 8, 9(11),
    # 12, 13, 14, 15(15), 16, 19, 20, 21, 22, 23, 26(22)
    nel("scot-fri-19-dec", SCOT, "Fri 19 Dec 2025", "Tue 23 Dec 2025", "Tue 6 Jan 2026",
        "Fri 9 Jan 2026", "Thu 15 Jan 2026", "Mon 26 Jan 2026"),
    # Wed 24 Dec 2025: 29, 30(2), 31, 2, 5, 6, 7, 8(8), 9, 12, 13(11), 14, 15, 16, 19(15), 20,
    # 21, 22, 23, 26, 27, 28(22)
    nel("ew-wed-24-dec", EW, "Wed 24 Dec 2025", "Tue 30 Dec 2025", "Thu 8 Jan 2026",
        "Tue 13 Jan 2026", "Mon 19 Jan 2026", "Wed 28 Jan 2026"),
    # Fri 6 Mar 2026: 9, 10(2), 11, 12, 13, 16, 17, 18(8), 19, 20, 23(11), 24, 25, 26, 27(15),
    # 30, 31, 1 Apr, 2, 7 (3 GF, 6 EM), 8, 9(22)
    nel("ew-fri-6-mar", EW, "Fri 6 Mar 2026", "Tue 10 Mar 2026", "Wed 18 Mar 2026",
        "Mon 23 Mar 2026", "Fri 27 Mar 2026", "Thu 9 Apr 2026"),
    # NI, Fri 6 Mar 2026: 9, 10(2), 11, 12, 13, 16, 18 (17 St Patrick's), 19(8), 20, 23, 24(11),
    # 25, 26, 27, 30(15), 31, 1 Apr, 2, 7 (3 GF, 6 EM), 8, 9, 10(22)
    nel("ni-fri-6-mar", NI, "Fri 6 Mar 2026", "Tue 10 Mar 2026", "Thu 19 Mar 2026",
        "Tue 24 Mar 2026", "Mon 30 Mar 2026", "Fri 10 Apr 2026"),
    # Thu 2 Apr 2026: 7 (3 GF, 6 EM), 8(2), 9, 10, 13, 14, 15, 16(8), 17, 20, 21(11), 22, 23, 24,
    # 27(15), 28, 29, 30, 1 May, 5 (4 BH), 6, 7(22)
    nel("ew-thu-2-apr", EW, "Thu 2 Apr 2026", "Wed 8 Apr 2026", "Thu 16 Apr 2026",
        "Tue 21 Apr 2026", "Mon 27 Apr 2026", "Thu 7 May 2026"),
    # Scotland, Thu 2 Apr 2026: 6 (no Easter Monday), 7(2), 8, 9, 10, 13, 14, 15(8), 16, 17,
    # 20(11), 21, 22, 23, 24(15), 27, 28, 29, 30, 1 May, 5 (4 BH), 6(22)
    nel("scot-thu-2-apr", SCOT, "Thu 2 Apr 2026", "Tue 7 Apr 2026", "Wed 15 Apr 2026",
        "Mon 20 Apr 2026", "Fri 24 Apr 2026", "Wed 6 May 2026"),
    # NI, Thu 2 Apr 2026: as E&W (Easter Monday a holiday)
    nel("ni-thu-2-apr", NI, "Thu 2 Apr 2026", "Wed 8 Apr 2026", "Thu 16 Apr 2026",
        "Tue 21 Apr 2026", "Mon 27 Apr 2026", "Thu 7 May 2026"),
    # Thu 21 May 2026: 22, 26(2) (25 BH), 27, 28, 29, 1 Jun, 2, 3(8), 4, 5, 8(11), 9, 10, 11,
    # 12(15), 15, 16, 17, 18, 19, 22, 23(22)
    nel("ew-thu-21-may", EW, "Thu 21 May 2026", "Tue 26 May 2026", "Wed 3 Jun 2026",
        "Mon 8 Jun 2026", "Fri 12 Jun 2026", "Tue 23 Jun 2026"),
    # Thu 2 Jul 2026: 3, 6(2), 7, 8, 9, 10, 13, 14(8), 15, 16, 17(11), 20, 21, 22, 23(15), 24,
    # 27, 28, 29, 30, 31, 3 Aug(22)
    nel("ew-thu-2-jul", EW, "Thu 2 Jul 2026", "Mon 6 Jul 2026", "Tue 14 Jul 2026",
        "Fri 17 Jul 2026", "Thu 23 Jul 2026", "Mon 3 Aug 2026"),
    # Scotland, Thu 2 Jul 2026: as E&W to Fri 31 Jul (21), then 4 Aug(22) (3 Aug BH)
    nel("scot-thu-2-jul", SCOT, "Thu 2 Jul 2026", "Mon 6 Jul 2026", "Tue 14 Jul 2026",
        "Fri 17 Jul 2026", "Thu 23 Jul 2026", "Tue 4 Aug 2026"),
    # NI, Thu 2 Jul 2026: 3, 6(2), 7, 8, 9, 10, 14 (13 Boyne), 15(8), 16, 17, 20(11), 21, 22, 23,
    # 24(15), 27, 28, 29, 30, 31, 3 Aug, 4 Aug(22)
    nel("ni-thu-2-jul", NI, "Thu 2 Jul 2026", "Mon 6 Jul 2026", "Wed 15 Jul 2026",
        "Mon 20 Jul 2026", "Fri 24 Jul 2026", "Tue 4 Aug 2026"),
    # Actual entries (stage dues stay outset-anchored, as ew-fri-19-dec). Stage 5 entered on
    # Sat 10 Jan: e-mail E+0 -> Mon 12 Jan. Chair notified Mon 12 Jan: +5 -> 13, 14, 15, 16,
    # 19 -> Mon 19 Jan.
    Case("ew-19-dec-entered", EW,
         facts("Fri 19 Dec 2025",
               entered={2: "Tue 23 Dec 2025", 3: "Mon 5 Jan 2026", 4: "Thu 8 Jan 2026",
                        5: "Sat 10 Jan 2026"},
               events=((5, "chair-notified", "Mon 12 Jan 2026"),)),
         "Fri 23 Jan 2026", (
             Stage(1, "Fri 19 Dec 2025", ACTUAL, "Tue 23 Dec 2025",
                   (None, "Tue 23 Dec 2025", None)),
             Stage(2, "Tue 23 Dec 2025", ACTUAL, "Mon 5 Jan 2026", (None, None)),
             Stage(3, "Mon 5 Jan 2026", ACTUAL, "Thu 8 Jan 2026", (None, None)),
             Stage(4, "Thu 8 Jan 2026", ACTUAL, "Wed 14 Jan 2026", ()),
             Stage(5, "Sat 10 Jan 2026", ACTUAL, "Fri 23 Jan 2026",
                   ("Mon 12 Jan 2026", "Mon 19 Jan 2026")),
         )),
]
# fmt: on


# =======================================================================================
# south-gloucestershire-cp. Stages: 1 O+1, 2 O+2, 3 O+3, 4 none. Overall O+5 (until stage 4).
# Obligations, in order:
#   1: discuss-with-other-practitioner O+1, report-to-manager -, manager-contact O+1,
#      feed-back-agreed-action resolved+0, record-in-child-file -, confirm-outcome-in-writing -
#   2: refer-to-second-tier -, record-communication -, communicate-resolution-in-writing -
#   3: record-in-case-file -, complete-monitoring-form -, send-monitoring-form -,
#      confirm-outcome-in-writing -
#   4: refer-to-executive -, consider-mediation-or-panel -, offer-mediation -, panel-decision -,
#      confirm-outcome-in-writing -

SG = "south-gloucestershire-cp"


def sg(name: str, division: Division, o: str, o1: str, o2: str, o3: str, o5: str) -> Case:
    """Nothing entered yet: 2, 3 and 4 planned on the previous stage's due date."""
    return Case(
        name,
        division,
        facts(o),
        o5,
        (
            Stage(1, o, ACTUAL, o1, (o1, None, o1, None, None, None)),
            Stage(2, o1, PLANNED, o2, N3),
            Stage(3, o2, PLANNED, o3, N4),
            Stage(4, o3, PLANNED, None, N5),
        ),
    )


# fmt: off
SG_CASES = [
    # Fri 19 Dec 2025: 22, 23, 24, 29 (25, 26 BH), 30
    sg("ew-fri-19-dec", EW, "Fri 19 Dec 2025",
       "Mon 22 Dec 2025", "Tue 23 Dec 2025", "Wed 24 Dec 2025", "Tue 30 Dec 2025"),
    # Wed 24 Dec 2025: 29 (25, 26 BH), 30, 31, 2 (1 BH), 5
    sg("ew-wed-24-dec", EW, "Wed 24 Dec 2025",
       "Mon 29 Dec 2025", "Tue 30 Dec 2025", "Wed 31 Dec 2025", "Mon 5 Jan 2026"),
    # Wed 31 Dec 2025: 2 (1 BH), 5, 6, 7, 8
    sg("ew-wed-31-dec", EW, "Wed 31 Dec 2025",
       "Fri 2 Jan 2026", "Mon 5 Jan 2026", "Tue 6 Jan 2026", "Thu 8 Jan 2026"),
    # Scotland, Wed 31 Dec 2025: 5 (1, 2 Jan BH), 6, 7, 8, 9
    sg("scot-wed-31-dec", SCOT, "Wed 31 Dec 2025",
       "Mon 5 Jan 2026", "Tue 6 Jan 2026", "Wed 7 Jan 2026", "Fri 9 Jan 2026"),
    # NI, Wed 31 Dec 2025: as E&W, 2, 5, 6, 7, 8
    sg("ni-wed-31-dec", NI, "Wed 31 Dec 2025",
       "Fri 2 Jan 2026", "Mon 5 Jan 2026", "Tue 6 Jan 2026", "Thu 8 Jan 2026"),
    # Thu 21 May 2026: 22, 26 (25 BH), 27, 28, 29
    sg("ew-thu-21-may", EW, "Thu 21 May 2026",
       "Fri 22 May 2026", "Tue 26 May 2026", "Wed 27 May 2026", "Fri 29 May 2026"),
    # Fri 10 Jul 2026: 13, 14, 15, 16, 17
    sg("ew-fri-10-jul", EW, "Fri 10 Jul 2026",
       "Mon 13 Jul 2026", "Tue 14 Jul 2026", "Wed 15 Jul 2026", "Fri 17 Jul 2026"),
    # NI, Fri 10 Jul 2026: 14 (13 Boyne), 15, 16, 17, 20
    sg("ni-fri-10-jul", NI, "Fri 10 Jul 2026",
       "Tue 14 Jul 2026", "Wed 15 Jul 2026", "Thu 16 Jul 2026", "Mon 20 Jul 2026"),
    # Fri 31 Jul 2026: 3 Aug, 4, 5, 6, 7
    sg("ew-fri-31-jul", EW, "Fri 31 Jul 2026",
       "Mon 3 Aug 2026", "Tue 4 Aug 2026", "Wed 5 Aug 2026", "Fri 7 Aug 2026"),
    # Scotland, Fri 31 Jul 2026: 4 (3 Aug BH), 5, 6, 7, 10
    sg("scot-fri-31-jul", SCOT, "Fri 31 Jul 2026",
       "Tue 4 Aug 2026", "Wed 5 Aug 2026", "Thu 6 Aug 2026", "Mon 10 Aug 2026"),
    # Fri 28 Aug 2026: 1 Sep (31 Aug BH), 2, 3, 4, 7
    sg("ew-fri-28-aug", EW, "Fri 28 Aug 2026",
       "Tue 1 Sep 2026", "Wed 2 Sep 2026", "Thu 3 Sep 2026", "Mon 7 Sep 2026"),
    # Scotland, Fri 28 Aug 2026: 31 Aug (a working day there), 1 Sep, 2, 3, 4
    sg("scot-fri-28-aug", SCOT, "Fri 28 Aug 2026",
       "Mon 31 Aug 2026", "Tue 1 Sep 2026", "Wed 2 Sep 2026", "Fri 4 Sep 2026"),
    # Thu 26 Nov 2026: 27, 30, 1 Dec, 2, 3
    sg("ew-thu-26-nov", EW, "Thu 26 Nov 2026",
       "Fri 27 Nov 2026", "Mon 30 Nov 2026", "Tue 1 Dec 2026", "Thu 3 Dec 2026"),
    # Scotland, Thu 26 Nov 2026: 27, 1 Dec (30 Nov St Andrew's), 2, 3, 4
    sg("scot-thu-26-nov", SCOT, "Thu 26 Nov 2026",
       "Fri 27 Nov 2026", "Tue 1 Dec 2026", "Wed 2 Dec 2026", "Fri 4 Dec 2026"),
    # Thu 24 Dec 2026: 29 (25, 28 BH), 30, 31, 4 Jan (1 BH), 5
    sg("ew-thu-24-dec-2026", EW, "Thu 24 Dec 2026",
       "Tue 29 Dec 2026", "Wed 30 Dec 2026", "Thu 31 Dec 2026", "Tue 5 Jan 2027"),
    # Scotland, Thu 24 Dec 2026: 29, 30, 31, 5 (1 Jan, 4 Jan BH), 6
    sg("scot-thu-24-dec-2026", SCOT, "Thu 24 Dec 2026",
       "Tue 29 Dec 2026", "Wed 30 Dec 2026", "Thu 31 Dec 2026", "Wed 6 Jan 2027"),
    # Resolved at stage 1 on Sun 28 Dec 2025: feed back the same working day -> Mon 29 Dec
    Case("ew-24-dec-resolved-sun", EW,
         facts("Wed 24 Dec 2025", events=((1, "resolved", "Sun 28 Dec 2025"),)),
         "Mon 5 Jan 2026", (
             Stage(1, "Wed 24 Dec 2025", ACTUAL, "Mon 29 Dec 2025",
                   ("Mon 29 Dec 2025", None, "Mon 29 Dec 2025", "Mon 29 Dec 2025", None, None)),
             Stage(2, "Mon 29 Dec 2025", PLANNED, "Tue 30 Dec 2025", N3),
             Stage(3, "Tue 30 Dec 2025", PLANNED, "Wed 31 Dec 2025", N4),
             Stage(4, "Wed 31 Dec 2025", PLANNED, None, N5),
         )),
    # Actual entries at 2 and 4; stage 3 passed over: not entered, not planned, due still O+3
    Case("ew-24-dec-entered", EW,
         facts("Wed 24 Dec 2025", entered={2: "Mon 29 Dec 2025", 4: "Wed 31 Dec 2025"}),
         "Mon 5 Jan 2026", (
             Stage(1, "Wed 24 Dec 2025", ACTUAL, "Mon 29 Dec 2025",
                   ("Mon 29 Dec 2025", None, "Mon 29 Dec 2025", None, None, None)),
             Stage(2, "Mon 29 Dec 2025", ACTUAL, "Tue 30 Dec 2025", N3),
             Stage(3, None, ACTUAL, "Wed 31 Dec 2025", N4),
             Stage(4, "Wed 31 Dec 2025", ACTUAL, None, N5),
         )),
]
# fmt: on


# =======================================================================================
# redbridge-sab. Stages: 1 O+5, 2 E+5, 3 E+5, 4 E+5. No overall bound.
# Obligations, in order:
#   1: raise-matter O+2, review-file-and-speak-to-raiser matter-raised+3,
#      confirm-outcome-in-writing resolved+2
#   2: seek-safeguarding-advice -, confirm-outcome-in-writing resolved+2
#   3: copy-business-manager E+0, involve-head-of-service -, confirm-outcome-in-writing resolved+2
#   4: refer-to-chair E+0, chair-recommendations E+5
# Nothing entered: 2 planned on O+5, due O+10; 3 on O+10, due O+15; 4 on O+15, due O+20.

RB = "redbridge-sab"


def rb(
    name: str, division: Division, o: str, o2: str, o5: str, o10: str, o15: str, o20: str
) -> Case:
    """Nothing entered yet: each stage planned on the previous stage's due date."""
    return Case(
        name,
        division,
        facts(o),
        None,
        (
            Stage(1, o, ACTUAL, o5, (o2, None, None)),
            Stage(2, o5, PLANNED, o10, (None, None)),
            Stage(3, o10, PLANNED, o15, (o10, None, None)),
            Stage(4, o15, PLANNED, o20, (o15, o20)),
        ),
    )


# fmt: off
RB_CASES = [
    # Fri 19 Dec 2025: 22, 23(2), 24, 29 (25, 26 BH), 30(5), 31, 2 (1 BH), 5, 6, 7(10), 8, 9, 12,
    # 13, 14(15), 15, 16, 19, 20, 21(20)
    rb("ew-fri-19-dec", EW, "Fri 19 Dec 2025", "Tue 23 Dec 2025", "Tue 30 Dec 2025",
       "Wed 7 Jan 2026", "Wed 14 Jan 2026", "Wed 21 Jan 2026"),
    # Scotland, Fri 19 Dec 2025: 22, 23(2), 24, 29, 30(5), 31, 5 (1, 2 Jan BH), 6, 7, 8(10), 9,
    # 12, 13, 14, 15(15), 16, 19, 20, 21, 22(20)
    rb("scot-fri-19-dec", SCOT, "Fri 19 Dec 2025", "Tue 23 Dec 2025", "Tue 30 Dec 2025",
       "Thu 8 Jan 2026", "Thu 15 Jan 2026", "Thu 22 Jan 2026"),
    # Scotland, outset on Christmas Day, Thu 25 Dec 2025: 29, 30(2), 31, 5 (1, 2 Jan BH), 6(5),
    # 7, 8, 9, 12, 13(10), 14, 15, 16, 19, 20(15), 21, 22, 23, 26, 27(20)
    rb("scot-thu-25-dec-bh", SCOT, "Thu 25 Dec 2025", "Tue 30 Dec 2025", "Tue 6 Jan 2026",
       "Tue 13 Jan 2026", "Tue 20 Jan 2026", "Tue 27 Jan 2026"),
    # outset on a Saturday, 27 Dec 2025: 29, 30(2), 31, 2 (1 BH), 5(5), 6, 7, 8, 9, 12(10), 13,
    # 14, 15, 16, 19(15), 20, 21, 22, 23, 26(20)
    rb("ew-sat-27-dec", EW, "Sat 27 Dec 2025", "Tue 30 Dec 2025", "Mon 5 Jan 2026",
       "Mon 12 Jan 2026", "Mon 19 Jan 2026", "Mon 26 Jan 2026"),
    # Mon 9 Mar 2026: 10, 11(2), 12, 13, 16(5), 17, 18, 19, 20, 23(10), 24, 25, 26, 27, 30(15),
    # 31, 1 Apr, 2, 7 (3 GF, 6 EM), 8(20)
    rb("ew-mon-9-mar", EW, "Mon 9 Mar 2026", "Wed 11 Mar 2026", "Mon 16 Mar 2026",
       "Mon 23 Mar 2026", "Mon 30 Mar 2026", "Wed 8 Apr 2026"),
    # NI, Mon 9 Mar 2026: 10, 11(2), 12, 13, 16(5), 18 (17 St Patrick's), 19, 20, 23, 24(10), 25,
    # 26, 27, 30, 31(15), 1 Apr, 2, 7 (3 GF, 6 EM), 8, 9(20)
    rb("ni-mon-9-mar", NI, "Mon 9 Mar 2026", "Wed 11 Mar 2026", "Mon 16 Mar 2026",
       "Tue 24 Mar 2026", "Tue 31 Mar 2026", "Thu 9 Apr 2026"),
    # Thu 2 Apr 2026: 7 (3 GF, 6 EM), 8(2), 9, 10, 13(5), 14, 15, 16, 17, 20(10), 21, 22, 23,
    # 24, 27(15), 28, 29, 30, 1 May, 5(20) (4 BH)
    rb("ew-thu-2-apr", EW, "Thu 2 Apr 2026", "Wed 8 Apr 2026", "Mon 13 Apr 2026",
       "Mon 20 Apr 2026", "Mon 27 Apr 2026", "Tue 5 May 2026"),
    # Scotland, Thu 2 Apr 2026: 6 (no Easter Monday), 7(2), 8, 9, 10(5), 13, 14, 15, 16, 17(10),
    # 20, 21, 22, 23, 24(15), 27, 28, 29, 30, 1 May(20)
    rb("scot-thu-2-apr", SCOT, "Thu 2 Apr 2026", "Tue 7 Apr 2026", "Fri 10 Apr 2026",
       "Fri 17 Apr 2026", "Fri 24 Apr 2026", "Fri 1 May 2026"),
    # Fri 1 May 2026: 5 (4 BH), 6(2), 7, 8, 11(5), 12, 13, 14, 15, 18(10), 19, 20, 21, 22,
    # 26(15) (25 BH), 27, 28, 29, 1 Jun, 2(20)
    rb("ew-fri-1-may", EW, "Fri 1 May 2026", "Wed 6 May 2026", "Mon 11 May 2026",
       "Mon 18 May 2026", "Tue 26 May 2026", "Tue 2 Jun 2026"),
    # Mon 6 Jul 2026: 7, 8(2), 9, 10, 13(5), 14, 15, 16, 17, 20(10), 21, 22, 23, 24, 27(15), 28,
    # 29, 30, 31, 3 Aug(20)
    rb("ew-mon-6-jul", EW, "Mon 6 Jul 2026", "Wed 8 Jul 2026", "Mon 13 Jul 2026",
       "Mon 20 Jul 2026", "Mon 27 Jul 2026", "Mon 3 Aug 2026"),
    # Scotland, Mon 6 Jul 2026: as E&W to Fri 31 Jul (19), then 4 Aug(20) (3 Aug BH)
    rb("scot-mon-6-jul", SCOT, "Mon 6 Jul 2026", "Wed 8 Jul 2026", "Mon 13 Jul 2026",
       "Mon 20 Jul 2026", "Mon 27 Jul 2026", "Tue 4 Aug 2026"),
    # NI, Mon 6 Jul 2026: 7, 8(2), 9, 10, 14(5) (13 Boyne), 15, 16, 17, 20, 21(10), 22, 23, 24,
    # 27, 28(15), 29, 30, 31, 3 Aug, 4 Aug(20)
    rb("ni-mon-6-jul", NI, "Mon 6 Jul 2026", "Wed 8 Jul 2026", "Tue 14 Jul 2026",
       "Tue 21 Jul 2026", "Tue 28 Jul 2026", "Tue 4 Aug 2026"),
    # Resolved at stage 1 and closed: matter raised Mon 22 Dec, +3 -> 23, 24, 29 -> Mon 29 Dec;
    # resolved Wed 24 Dec, +2 -> 29, 30 -> Tue 30 Dec. Later stages cannot be planned (closed),
    # and their entry-anchored dues are null.
    Case("ew-19-dec-resolved", EW,
         facts("Fri 19 Dec 2025",
               events=((1, "matter-raised", "Mon 22 Dec 2025"),
                       (1, "resolved", "Wed 24 Dec 2025")),
               closed_on="Wed 24 Dec 2025"),
         None, (
             Stage(1, "Fri 19 Dec 2025", ACTUAL, "Tue 30 Dec 2025",
                   ("Tue 23 Dec 2025", "Mon 29 Dec 2025", "Tue 30 Dec 2025")),
             Stage(2, None, ACTUAL, None, (None, None)),
             Stage(3, None, ACTUAL, None, N3),
             Stage(4, None, ACTUAL, None, (None, None)),
         )),
    # Actual entries: matter raised Sat 20 Dec, +3 -> 22, 23, 24 -> Wed 24 Dec.
    # 2 entered Wed 24 Dec: E+5 -> 29, 30, 31, 2, 5 -> Mon 5 Jan.
    # 3 entered Fri 2 Jan: E+0 Fri 2 Jan; E+5 -> 5, 6, 7, 8, 9 -> Fri 9 Jan.
    # 4 entered Thu 8 Jan: E+0 Thu 8 Jan; E+5 -> 9, 12, 13, 14, 15 -> Thu 15 Jan.
    Case("ew-19-dec-entered", EW,
         facts("Fri 19 Dec 2025",
               entered={2: "Wed 24 Dec 2025", 3: "Fri 2 Jan 2026", 4: "Thu 8 Jan 2026"},
               events=((1, "matter-raised", "Sat 20 Dec 2025"),)),
         None, (
             Stage(1, "Fri 19 Dec 2025", ACTUAL, "Tue 30 Dec 2025",
                   ("Tue 23 Dec 2025", "Wed 24 Dec 2025", None)),
             Stage(2, "Wed 24 Dec 2025", ACTUAL, "Mon 5 Jan 2026", (None, None)),
             Stage(3, "Fri 2 Jan 2026", ACTUAL, "Fri 9 Jan 2026", ("Fri 2 Jan 2026", None, None)),
             Stage(4, "Thu 8 Jan 2026", ACTUAL, "Thu 15 Jan 2026",
                   ("Thu 8 Jan 2026", "Thu 15 Jan 2026")),
         )),
    # Stage 2 entered Tue 30 Dec, resolved Fri 2 Jan and closed: E+5 -> 31, 2, 5, 6, 7 ->
    # Wed 7 Jan; written confirmation resolved+2 -> 5, 6 -> Tue 6 Jan. 3 and 4 not planned.
    Case("ew-19-dec-stage-2-resolved", EW,
         facts("Fri 19 Dec 2025", entered={2: "Tue 30 Dec 2025"},
               events=((2, "resolved", "Fri 2 Jan 2026"),), closed_on="Fri 2 Jan 2026"),
         None, (
             Stage(1, "Fri 19 Dec 2025", ACTUAL, "Tue 30 Dec 2025",
                   ("Tue 23 Dec 2025", None, None)),
             Stage(2, "Tue 30 Dec 2025", ACTUAL, "Wed 7 Jan 2026", (None, "Tue 6 Jan 2026")),
             Stage(3, None, ACTUAL, None, N3),
             Stage(4, None, ACTUAL, None, (None, None)),
         )),
    # Scotland, Wed 24 Dec 2025, stage 2 entered Wed 31 Dec. O: 29, 30(2), 31, 5, 6(5).
    # 2: E+5 from 31 Dec -> 5 (1, 2 Jan BH), 6, 7, 8, 9 -> Fri 9 Jan; 3 planned Fri 9 Jan,
    # +5 -> Fri 16 Jan; 4 planned Fri 16 Jan, +5 -> Fri 23 Jan.
    Case("scot-24-dec-entered", SCOT,
         facts("Wed 24 Dec 2025", entered={2: "Wed 31 Dec 2025"}),
         None, (
             Stage(1, "Wed 24 Dec 2025", ACTUAL, "Tue 6 Jan 2026", ("Tue 30 Dec 2025", None, None)),
             Stage(2, "Wed 31 Dec 2025", ACTUAL, "Fri 9 Jan 2026", (None, None)),
             Stage(3, "Fri 9 Jan 2026", PLANNED, "Fri 16 Jan 2026", ("Fri 9 Jan 2026", None, None)),
             Stage(4, "Fri 16 Jan 2026", PLANNED, "Fri 23 Jan 2026",
                   ("Fri 16 Jan 2026", "Fri 23 Jan 2026")),
         )),
    # The same facts in England and Wales. O: 29, 30(2), 31, 2, 5(5).
    # 2: E+5 from 31 Dec -> 2 (1 BH), 5, 6, 7, 8 -> Thu 8 Jan; 3 -> Thu 15 Jan; 4 -> Thu 22 Jan.
    Case("ew-24-dec-entered", EW,
         facts("Wed 24 Dec 2025", entered={2: "Wed 31 Dec 2025"}),
         None, (
             Stage(1, "Wed 24 Dec 2025", ACTUAL, "Mon 5 Jan 2026", ("Tue 30 Dec 2025", None, None)),
             Stage(2, "Wed 31 Dec 2025", ACTUAL, "Thu 8 Jan 2026", (None, None)),
             Stage(3, "Thu 8 Jan 2026", PLANNED, "Thu 15 Jan 2026", ("Thu 8 Jan 2026", None, None)),
             Stage(4, "Thu 15 Jan 2026", PLANNED, "Thu 22 Jan 2026",
                   ("Thu 15 Jan 2026", "Thu 22 Jan 2026")),
         )),
    # Thu 2 Apr 2026; 2 entered Tue 7 Apr: E+5 -> 8, 9, 10, 13, 14 -> Tue 14 Apr. Stage 3 passed
    # over (null entry, so null due). 4 entered on a bank holiday, Mon 4 May: E+0 -> Tue 5 May;
    # E+5 -> 5, 6, 7, 8, 11 -> Mon 11 May.
    Case("ew-2-apr-stage-4-on-bh", EW,
         facts("Thu 2 Apr 2026", entered={2: "Tue 7 Apr 2026", 4: "Mon 4 May 2026"}),
         None, (
             Stage(1, "Thu 2 Apr 2026", ACTUAL, "Mon 13 Apr 2026", ("Wed 8 Apr 2026", None, None)),
             Stage(2, "Tue 7 Apr 2026", ACTUAL, "Tue 14 Apr 2026", (None, None)),
             Stage(3, None, ACTUAL, None, N3),
             Stage(4, "Mon 4 May 2026", ACTUAL, "Mon 11 May 2026",
                   ("Tue 5 May 2026", "Mon 11 May 2026")),
         )),
]
# fmt: on


# =======================================================================================
# sunderland-sab. Stages: 1 O+3, 2 none, 3 O+10, 4 E+30. No overall bound.
# Obligations, in order:
#   1: discuss-with-equivalent O+3, record-discussion -
#   2: complete-proforma -, send-proforma-to-senior-manager proforma-received+0,
#      senior-managers-discuss -, record-issue-action-outcome -
#   3: review-documentation O+10, record-review-outcome -, written-response-to-raiser
#      review-completed+5
#   4: pass-to-strategic-safeguarding-team -, consider-and-feed-back E+30,
#      send-completed-proforma committee-meeting-held+5, report-in-annual-report -
# Nothing entered: 2 planned on O+3 (no due); 3 cannot be planned (2 has no due) but keeps its
# outset-anchored due O+10; 4 planned on O+10, due O+40. 30 working days with no holiday in
# between are exactly six weeks, the same weekday.

SU = "sunderland-sab"


def su(name: str, division: Division, o: str, o3: str, o10: str, o40: str) -> Case:
    """Nothing entered yet."""
    return Case(
        name,
        division,
        facts(o),
        None,
        (
            Stage(1, o, ACTUAL, o3, (o3, None)),
            Stage(2, o3, PLANNED, None, N4),
            Stage(3, None, ACTUAL, o10, (o10, None, None)),
            Stage(4, o10, PLANNED, o40, (None, o40, None, None)),
        ),
    )


# fmt: off
SU_CASES = [
    # Fri 19 Dec 2025: 22, 23, 24(3), 29 (25, 26 BH), 30, 31, 2 (1 BH), 5, 6, 7(10);
    # +30 from Wed 7 Jan: six weeks, no holiday -> Wed 18 Feb
    su("ew-fri-19-dec", EW, "Fri 19 Dec 2025",
       "Wed 24 Dec 2025", "Wed 7 Jan 2026", "Wed 18 Feb 2026"),
    # Scotland, Fri 19 Dec 2025: 22, 23, 24(3), 29, 30, 31, 5 (1, 2 Jan BH), 6, 7, 8(10);
    # +30 from Thu 8 Jan: six weeks -> Thu 19 Feb
    su("scot-fri-19-dec", SCOT, "Fri 19 Dec 2025",
       "Wed 24 Dec 2025", "Thu 8 Jan 2026", "Thu 19 Feb 2026"),
    # Wed 24 Dec 2025: 29, 30, 31(3), 2, 5, 6, 7, 8, 9, 12(10); +30 -> Mon 23 Feb
    su("ew-wed-24-dec", EW, "Wed 24 Dec 2025",
       "Wed 31 Dec 2025", "Mon 12 Jan 2026", "Mon 23 Feb 2026"),
    # Scotland, Wed 24 Dec 2025: 29, 30, 31(3), 5, 6, 7, 8, 9, 12, 13(10); +30 -> Tue 24 Feb
    su("scot-wed-24-dec", SCOT, "Wed 24 Dec 2025",
       "Wed 31 Dec 2025", "Tue 13 Jan 2026", "Tue 24 Feb 2026"),
    # Thu 2 Apr 2026: 7 (3 GF, 6 EM), 8, 9(3), 10, 13, 14, 15, 16, 17, 20(10);
    # +30 from Mon 20 Apr: six weeks is Mon 1 Jun, two holidays (4, 25 May) -> 2, 3 -> Wed 3 Jun
    su("ew-thu-2-apr", EW, "Thu 2 Apr 2026",
       "Thu 9 Apr 2026", "Mon 20 Apr 2026", "Wed 3 Jun 2026"),
    # Scotland, Thu 2 Apr 2026: 6, 7, 8(3), 9, 10, 13, 14, 15, 16, 17(10);
    # +30 from Fri 17 Apr: six weeks is Fri 29 May, two holidays -> 1, 2 -> Tue 2 Jun
    su("scot-thu-2-apr", SCOT, "Thu 2 Apr 2026",
       "Wed 8 Apr 2026", "Fri 17 Apr 2026", "Tue 2 Jun 2026"),
    # Fri 1 May 2026: 5 (4 BH), 6, 7(3), 8, 11, 12, 13, 14, 15, 18(10);
    # +30 from Mon 18 May: six weeks is Mon 29 Jun, one holiday (25 May) -> Tue 30 Jun
    su("ew-fri-1-may", EW, "Fri 1 May 2026",
       "Thu 7 May 2026", "Mon 18 May 2026", "Tue 30 Jun 2026"),
    # Thu 21 May 2026: 22, 26 (25 BH), 27(3), 28, 29, 1 Jun, 2, 3, 4, 5(10);
    # +30 from Fri 5 Jun: six weeks, no holiday -> Fri 17 Jul
    su("ew-thu-21-may", EW, "Thu 21 May 2026",
       "Wed 27 May 2026", "Fri 5 Jun 2026", "Fri 17 Jul 2026"),
    # NI, Thu 21 May 2026: as E&W to Fri 5 Jun; +30: six weeks is Fri 17 Jul, one holiday
    # (13 Jul Boyne) -> Mon 20 Jul
    su("ni-thu-21-may", NI, "Thu 21 May 2026",
       "Wed 27 May 2026", "Fri 5 Jun 2026", "Mon 20 Jul 2026"),
    # Mon 27 Jul 2026: 28, 29, 30(3), 31, 3 Aug, 4, 5, 6, 7, 10(10);
    # +30 from Mon 10 Aug: six weeks is Mon 21 Sep, one holiday (31 Aug) -> Tue 22 Sep
    su("ew-mon-27-jul", EW, "Mon 27 Jul 2026",
       "Thu 30 Jul 2026", "Mon 10 Aug 2026", "Tue 22 Sep 2026"),
    # Scotland, Mon 27 Jul 2026: 28, 29, 30(3), 31, 4 (3 Aug BH), 5, 6, 7, 10, 11(10);
    # +30 from Tue 11 Aug: six weeks, no holiday (31 Aug works in Scotland) -> Tue 22 Sep
    su("scot-mon-27-jul", SCOT, "Mon 27 Jul 2026",
       "Thu 30 Jul 2026", "Tue 11 Aug 2026", "Tue 22 Sep 2026"),
    # Mon 19 Oct 2026: 20, 21, 22(3), 23, 26, 27, 28, 29, 30, 2 Nov(10); +30 -> Mon 14 Dec
    su("ew-mon-19-oct", EW, "Mon 19 Oct 2026",
       "Thu 22 Oct 2026", "Mon 2 Nov 2026", "Mon 14 Dec 2026"),
    # Scotland, Mon 19 Oct 2026: as E&W to Mon 2 Nov; +30: six weeks is Mon 14 Dec, one holiday
    # (30 Nov St Andrew's) -> Tue 15 Dec
    su("scot-mon-19-oct", SCOT, "Mon 19 Oct 2026",
       "Thu 22 Oct 2026", "Mon 2 Nov 2026", "Tue 15 Dec 2026"),
    # Actual entries and events, Fri 19 Dec 2025. Proforma received Sat 27 Dec: same working
    # day -> Mon 29 Dec. Review completed Wed 7 Jan: +5 -> 8, 9, 12, 13, 14 -> Wed 14 Jan.
    # 4 entered Fri 9 Jan: +30 -> six weeks -> Fri 20 Feb. Committee met Wed 11 Feb: +5 -> 12,
    # 13, 16, 17, 18 -> Wed 18 Feb.
    Case("ew-19-dec-entered", EW,
         facts("Fri 19 Dec 2025",
               entered={2: "Wed 24 Dec 2025", 3: "Mon 5 Jan 2026", 4: "Fri 9 Jan 2026"},
               events=((2, "proforma-received", "Sat 27 Dec 2025"),
                       (3, "review-completed", "Wed 7 Jan 2026"),
                       (4, "committee-meeting-held", "Wed 11 Feb 2026"))),
         None, (
             Stage(1, "Fri 19 Dec 2025", ACTUAL, "Wed 24 Dec 2025", ("Wed 24 Dec 2025", None)),
             Stage(2, "Wed 24 Dec 2025", ACTUAL, None, (None, "Mon 29 Dec 2025", None, None)),
             Stage(3, "Mon 5 Jan 2026", ACTUAL, "Wed 7 Jan 2026",
                   ("Wed 7 Jan 2026", None, "Wed 14 Jan 2026")),
             Stage(4, "Fri 9 Jan 2026", ACTUAL, "Fri 20 Feb 2026",
                   (None, "Fri 20 Feb 2026", "Wed 18 Feb 2026", None)),
         )),
    # Straight to stage 4 on Fri 30 Oct 2026 (2 and 3 never entered): +30 from Fri 30 Oct ->
    # six weeks -> Fri 11 Dec
    Case("ew-19-oct-stage-4", EW,
         facts("Mon 19 Oct 2026", entered={4: "Fri 30 Oct 2026"}),
         None, (
             Stage(1, "Mon 19 Oct 2026", ACTUAL, "Thu 22 Oct 2026", ("Thu 22 Oct 2026", None)),
             Stage(2, None, ACTUAL, None, N4),
             Stage(3, None, ACTUAL, "Mon 2 Nov 2026", ("Mon 2 Nov 2026", None, None)),
             Stage(4, "Fri 30 Oct 2026", ACTUAL, "Fri 11 Dec 2026",
                   (None, "Fri 11 Dec 2026", None, None)),
         )),
    # The same in Scotland: six weeks is Fri 11 Dec, one holiday (30 Nov) -> Mon 14 Dec
    Case("scot-19-oct-stage-4", SCOT,
         facts("Mon 19 Oct 2026", entered={4: "Fri 30 Oct 2026"}),
         None, (
             Stage(1, "Mon 19 Oct 2026", ACTUAL, "Thu 22 Oct 2026", ("Thu 22 Oct 2026", None)),
             Stage(2, None, ACTUAL, None, N4),
             Stage(3, None, ACTUAL, "Mon 2 Nov 2026", ("Mon 2 Nov 2026", None, None)),
             Stage(4, "Fri 30 Oct 2026", ACTUAL, "Mon 14 Dec 2026",
                   (None, "Mon 14 Dec 2026", None, None)),
         )),
]
# fmt: on


TABLES = {NS: NS_CASES, NEL: NEL_CASES, SG: SG_CASES, RB: RB_CASES, SU: SU_CASES}


def _plan(procedure_id: str, case: Case) -> clock.Plan:
    procedure = REGISTRY.get(procedure_id)
    return clock.plan(procedure, working_calendar(case.division), case.facts)


def _expected(stage: Stage) -> tuple[object, ...]:
    return (
        stage.number,
        opt(stage.entered),
        stage.planned,
        opt(stage.due),
        tuple(opt(o) for o in stage.obligations),
    )


def _got(got: clock.StagePlan) -> tuple[object, ...]:
    return (
        got.number,
        got.entered_on,
        got.entered_is_planned,
        got.due_on,
        tuple(o.due_on for o in got.obligations),
    )


STAGE_PARAMS = [
    pytest.param(pid, case, stage, id=f"{pid}-{case.name}-stage-{stage.number}")
    for pid, cases in TABLES.items()
    for case in cases
    for stage in case.stages
]
CASE_PARAMS = [
    pytest.param(pid, case, id=f"{pid}-{case.name}")
    for pid, cases in TABLES.items()
    for case in cases
]


@pytest.mark.parametrize(("procedure_id", "case", "stage"), STAGE_PARAMS)
def test_stage_entry_due_and_obligations(procedure_id: str, case: Case, stage: Stage) -> None:
    the_plan = _plan(procedure_id, case)
    assert _got(the_plan.stage(stage.number)) == _expected(stage)


@pytest.mark.parametrize(("procedure_id", "case"), CASE_PARAMS)
def test_overall_due(procedure_id: str, case: Case) -> None:
    the_plan = _plan(procedure_id, case)
    assert the_plan.overall_due_on == opt(case.overall)
    assert the_plan.division == case.division.value
    assert the_plan.outset_on == case.facts.outset_on


@pytest.mark.parametrize(("procedure_id", "case"), CASE_PARAMS)
def test_each_case_lists_every_stage(procedure_id: str, case: Case) -> None:
    """The tables are complete: every stage of the procedure, in order."""
    top = REGISTRY.get(procedure_id).top
    assert [s.number for s in case.stages] == list(range(1, top + 1))


# The obligation tuples in the tables are positional; this pins what each position is.
OBLIGATION_ORDER = {
    NS: {
        1: [
            "discuss-with-other-practitioner",
            "report-to-line-manager",
            "line-manager-contact",
            "feed-back-agreed-action",
            "record-in-case-notes",
        ],
        2: ["refer-to-second-tier", "keep-records", "communicate-resolution-in-writing"],
        3: ["record-in-case-file", "complete-monitoring-form", "send-monitoring-form"],
        4: [
            "refer-to-board-representative",
            "board-level-discussion",
            "contact-business-manager",
            "consider-mediation-or-panel",
            "return-monitoring-form",
        ],
        5: ["panel-decision"],
    },
    NEL: {
        1: ["consult-line-manager", "approach-other-practitioner", "record-outcome"],
        2: ["discuss-with-counterpart", "record-points-of-agreement"],
        3: ["notify-line-managers", "report-procedural-change"],
        4: [],
        5: ["email-business-manager", "chair-recommendation"],
    },
    SG: {
        1: [
            "discuss-with-other-practitioner",
            "report-to-manager",
            "manager-contact",
            "feed-back-agreed-action",
            "record-in-child-file",
            "confirm-outcome-in-writing",
        ],
        2: ["refer-to-second-tier", "record-communication", "communicate-resolution-in-writing"],
        3: [
            "record-in-case-file",
            "complete-monitoring-form",
            "send-monitoring-form",
            "confirm-outcome-in-writing",
        ],
        4: [
            "refer-to-executive",
            "consider-mediation-or-panel",
            "offer-mediation",
            "panel-decision",
            "confirm-outcome-in-writing",
        ],
    },
    RB: {
        1: ["raise-matter", "review-file-and-speak-to-raiser", "confirm-outcome-in-writing"],
        2: ["seek-safeguarding-advice", "confirm-outcome-in-writing"],
        3: ["copy-business-manager", "involve-head-of-service", "confirm-outcome-in-writing"],
        4: ["refer-to-chair", "chair-recommendations"],
    },
    SU: {
        1: ["discuss-with-equivalent", "record-discussion"],
        2: [
            "complete-proforma",
            "send-proforma-to-senior-manager",
            "senior-managers-discuss",
            "record-issue-action-outcome",
        ],
        3: ["review-documentation", "record-review-outcome", "written-response-to-raiser"],
        4: [
            "pass-to-strategic-safeguarding-team",
            "consider-and-feed-back",
            "send-completed-proforma",
            "report-in-annual-report",
        ],
    },
}


@pytest.mark.parametrize("procedure_id", list(OBLIGATION_ORDER))
def test_obligation_order(procedure_id: str) -> None:
    procedure = REGISTRY.get(procedure_id)
    got = {s.number: [o.id for o in s.obligations] for s in procedure.stages}
    assert got == OBLIGATION_ORDER[procedure_id]


# =======================================================================================
# The calendars the tables assume.

# fmt: off
HOLIDAYS = {
    EW: [
        "Thu 25 Dec 2025", "Fri 26 Dec 2025", "Thu 1 Jan 2026", "Fri 3 Apr 2026",
        "Mon 6 Apr 2026", "Mon 4 May 2026", "Mon 25 May 2026", "Mon 31 Aug 2026",
        "Fri 25 Dec 2026", "Mon 28 Dec 2026", "Fri 1 Jan 2027",
    ],
    SCOT: [
        "Thu 25 Dec 2025", "Fri 26 Dec 2025", "Thu 1 Jan 2026", "Fri 2 Jan 2026",
        "Fri 3 Apr 2026", "Mon 4 May 2026", "Mon 25 May 2026", "Mon 3 Aug 2026",
        "Mon 30 Nov 2026", "Fri 25 Dec 2026", "Mon 28 Dec 2026", "Fri 1 Jan 2027",
        "Mon 4 Jan 2027",
    ],
    NI: [
        "Thu 25 Dec 2025", "Fri 26 Dec 2025", "Thu 1 Jan 2026", "Tue 17 Mar 2026",
        "Fri 3 Apr 2026", "Mon 6 Apr 2026", "Mon 4 May 2026", "Mon 25 May 2026",
        "Mon 13 Jul 2026", "Mon 31 Aug 2026", "Fri 25 Dec 2026", "Mon 28 Dec 2026",
        "Fri 1 Jan 2027",
    ],
}
# fmt: on


def test_bank_holidays_the_tables_assume() -> None:
    """Every bank holiday from 2 December 2025 to 8 January 2027, per division."""
    got = {
        division: working_calendar(division).holidays_between(D(2025, 12, 2), D(2027, 1, 8))
        for division in HOLIDAYS
    }
    assert {d: [h.on for h in hs] for d, hs in got.items()} == {
        d: [day(t) for t in hs] for d, hs in HOLIDAYS.items()
    }
    # All from GOV.UK's published list, none estimated.
    assert not any(h.estimated for hs in got.values() for h in hs)


# =======================================================================================
# overdue, due_soon and time_taken, on north-somerset-sab (E&W) unless said otherwise.
# Outset Fri 19 Dec 2025: stage 1 and its two O+1 obligations due Mon 22 Dec; overall (O+5)
# Tue 30 Dec.

NS_PROC = REGISTRY.get(NS)
RB_PROC = REGISTRY.get(RB)
NEL_PROC = REGISTRY.get(NEL)
CAL_EW = working_calendar(EW)
CAL_SCOT = working_calendar(SCOT)
OUTSET = D(2025, 12, 19)
DISCUSS = "discuss-with-other-practitioner"
LM = "line-manager-contact"

Item = tuple[int | None, str | None, dt.date, int]


def _items(found: list[clock.DueItem]) -> list[Item]:
    return [(i.stage, i.obligation, i.due_on, i.working_days) for i in found]


def _overdue(f: clock.Facts, today: dt.date, procedure_id: str = NS) -> list[Item]:
    procedure = REGISTRY.get(procedure_id)
    the_plan = clock.plan(procedure, CAL_EW, f)
    return _items(clock.overdue(procedure, CAL_EW, the_plan, f, today))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # due today is not overdue
        (D(2025, 12, 22), []),
        # the day after: overdue by 1 working day (23)
        (
            D(2025, 12, 23),
            [(1, None, D(2025, 12, 22), 1), (1, DISCUSS, D(2025, 12, 22), 1),
             (1, LM, D(2025, 12, 22), 1)],
        ),
        # Sat 27 Dec: 23, 24 (25, 26 BH) -> 2
        (
            D(2025, 12, 27),
            [(1, None, D(2025, 12, 22), 2), (1, DISCUSS, D(2025, 12, 22), 2),
             (1, LM, D(2025, 12, 22), 2)],
        ),
        # Tue 30 Dec: overall due today, not overdue; stage 1 by 23, 24, 29, 30 -> 4
        (
            D(2025, 12, 30),
            [(1, None, D(2025, 12, 22), 4), (1, DISCUSS, D(2025, 12, 22), 4),
             (1, LM, D(2025, 12, 22), 4)],
        ),
        # Fri 2 Jan 2026: stage 1 by 23, 24, 29, 30, 31, 2 -> 6; overall by 31, 2 -> 2
        (
            D(2026, 1, 2),
            [(1, None, D(2025, 12, 22), 6), (1, DISCUSS, D(2025, 12, 22), 6),
             (1, LM, D(2025, 12, 22), 6), (None, None, D(2025, 12, 30), 2)],
        ),
    ],
)  # fmt: skip
def test_overdue_at_stage_1(today: dt.date, expected: list[Item]) -> None:
    assert _overdue(clock.Facts(outset_on=OUTSET), today) == expected


def test_a_met_obligation_is_not_overdue() -> None:
    f = clock.Facts(outset_on=OUTSET, met={(1, DISCUSS): D(2025, 12, 22)})
    assert _overdue(f, D(2025, 12, 23)) == [
        (1, None, D(2025, 12, 22), 1),
        (1, LM, D(2025, 12, 22), 1),
    ]


def test_a_withdrawn_escalation_has_nothing_overdue() -> None:
    f = clock.Facts(outset_on=OUTSET, withdrawn=True, closed_on=D(2025, 12, 23))
    assert _overdue(f, D(2026, 1, 2)) == []
    assert (
        _items(
            clock.due_soon(NS_PROC, CAL_EW, clock.plan(NS_PROC, CAL_EW, f), f, D(2025, 12, 29), 5)
        )
        == []
    )


def test_a_resolved_escalation_owes_only_its_after_resolution_duties() -> None:
    # Resolved and closed Mon 22 Dec: the stage, its other duties and the overall bound lapse;
    # feeding back the agreed action (resolved + 0: Mon 22 Dec) is still owed. On Fri 2 Jan it
    # is overdue by 23, 24, 29, 30, 31, 2 -> 6.
    f = clock.Facts(
        outset_on=OUTSET,
        events=(clock.EventFact(1, "resolved", D(2025, 12, 22)),),
        closed_on=D(2025, 12, 22),
    )
    assert _overdue(f, D(2026, 1, 2)) == [(1, "feed-back-agreed-action", D(2025, 12, 22), 6)]
    f = clock.Facts(
        outset_on=OUTSET,
        events=(clock.EventFact(1, "resolved", D(2025, 12, 22)),),
        closed_on=D(2025, 12, 22),
        met={(1, "feed-back-agreed-action"): D(2025, 12, 22)},
    )
    assert _overdue(f, D(2026, 1, 2)) == []


def test_overall_bound_counts_below_stage_4() -> None:
    # At stage 3 (entered Tue 23 Dec, due O+3 Wed 24 Dec) on Fri 2 Jan 2026: stage 3 overdue by
    # 29, 30, 31, 2 -> 4; overall (Tue 30 Dec) by 31, 2 -> 2.
    f = clock.Facts(outset_on=OUTSET, entered={2: D(2025, 12, 22), 3: D(2025, 12, 23)})
    assert _overdue(f, D(2026, 1, 2)) == [
        (3, None, D(2025, 12, 24), 4),
        (None, None, D(2025, 12, 30), 2),
    ]


def test_overall_bound_stops_at_stage_4() -> None:
    # At stage 4 (no timescale) the overall bound (until_stage 4) is met: nothing overdue.
    f = clock.Facts(outset_on=OUTSET, entered={4: D(2025, 12, 24)})
    assert _overdue(f, D(2026, 1, 2)) == []
    # ... except a dated stage 4 obligation: Board discussion failed Mon 29 Dec, Business
    # Manager contacted the same working day; on Fri 2 Jan overdue by 30, 31, 2 -> 3.
    f = clock.Facts(
        outset_on=OUTSET,
        entered={4: D(2025, 12, 24)},
        events=(clock.EventFact(4, "board-discussion-unresolved", D(2025, 12, 29)),),
    )
    assert _overdue(f, D(2026, 1, 2)) == [(4, "contact-business-manager", D(2025, 12, 29), 3)]


def test_overdue_redbridge_event_anchored_obligations() -> None:
    # Outset Fri 19 Dec 2025; raise by O+2 Tue 23 Dec; matter raised Mon 22 Dec so the receiver
    # speaks to the raiser by +3 -> 23, 24, 29 -> Mon 29 Dec; stage 1 due O+5 Tue 30 Dec.
    f = clock.Facts(
        outset_on=OUTSET, events=(clock.EventFact(1, "matter-raised", D(2025, 12, 22)),)
    )
    # Tue 30 Dec: raise-matter overdue by 24, 29, 30 -> 3; review by 30 -> 1; stage due today.
    assert _overdue(f, D(2025, 12, 30), RB) == [
        (1, "raise-matter", D(2025, 12, 23), 3),
        (1, "review-file-and-speak-to-raiser", D(2025, 12, 29), 1),
    ]
    f = clock.Facts(
        outset_on=OUTSET,
        events=(clock.EventFact(1, "matter-raised", D(2025, 12, 22)),),
        met={(1, "raise-matter"): D(2025, 12, 22)},
    )
    # Wed 31 Dec: stage 1 by 31 -> 1; review by 30, 31 -> 2.
    assert _overdue(f, D(2025, 12, 31), RB) == [
        (1, None, D(2025, 12, 30), 1),
        (1, "review-file-and-speak-to-raiser", D(2025, 12, 29), 2),
    ]


def _due_soon(
    f: clock.Facts, today: dt.date, within: int, procedure_id: str = NS, division: Division = EW
) -> list[Item]:
    procedure = REGISTRY.get(procedure_id)
    cal = working_calendar(division)
    return _items(clock.due_soon(procedure, cal, clock.plan(procedure, cal, f), f, today, within))


@pytest.mark.parametrize(
    ("today", "within", "expected"),
    [
        # Fri 19 Dec, within 1 (to Mon 22): stage 1 and both obligations, 1 working day left
        (D(2025, 12, 19), 1, [(1, None, D(2025, 12, 22), 1), (1, DISCUSS, D(2025, 12, 22), 1),
                              (1, LM, D(2025, 12, 22), 1)]),
        # Mon 22 Dec, within 0: due today, 0 left
        (D(2025, 12, 22), 0, [(1, None, D(2025, 12, 22), 0), (1, DISCUSS, D(2025, 12, 22), 0),
                              (1, LM, D(2025, 12, 22), 0)]),
        # Sat 20 Dec, within 1: the horizon is Mon 22 -> 22 is 1 working day after Sat
        (D(2025, 12, 20), 1, [(1, None, D(2025, 12, 22), 1), (1, DISCUSS, D(2025, 12, 22), 1),
                              (1, LM, D(2025, 12, 22), 1)]),
        # Wed 24 Dec, within 3 (29, 30, 31): overall Tue 30 Dec, 2 left; stage 1 already past
        (D(2025, 12, 24), 3, [(None, None, D(2025, 12, 30), 2)]),
        # Wed 24 Dec, within 1 (to Mon 29): nothing
        (D(2025, 12, 24), 1, []),
        # Sat 27 Dec, within 2 (29, 30): overall, 2 left
        (D(2025, 12, 27), 2, [(None, None, D(2025, 12, 30), 2)]),
    ],
)  # fmt: skip
def test_due_soon_at_stage_1(today: dt.date, within: int, expected: list[Item]) -> None:
    assert _due_soon(clock.Facts(outset_on=OUTSET), today, within) == expected


def test_due_soon_scotland_new_year() -> None:
    # NEL, outset Fri 19 Dec 2025, stage 2 entered Tue 23 Dec: stage 2 due O+8, in Scotland
    # Tue 6 Jan 2026. On Wed 31 Dec within 1: horizon Mon 5 Jan (1, 2 Jan BH) -> nothing yet;
    # within 2: horizon Tue 6 Jan, 2 working days left (5, 6).
    f = clock.Facts(outset_on=OUTSET, entered={2: D(2025, 12, 23)})
    assert _due_soon(f, D(2025, 12, 31), 1, NEL, SCOT) == []
    assert _due_soon(f, D(2025, 12, 31), 2, NEL, SCOT) == [(2, None, D(2026, 1, 6), 2)]
    # In England and Wales stage 2 is due Mon 5 Jan (2 Jan works): within 1 the horizon is
    # Fri 2 Jan -> nothing; within 2 -> Mon 5 Jan, 2 left (2, 5).
    assert _due_soon(f, D(2025, 12, 31), 1, NEL, EW) == []
    assert _due_soon(f, D(2025, 12, 31), 2, NEL, EW) == [(2, None, D(2026, 1, 5), 2)]


@pytest.mark.parametrize(
    ("division", "start", "end", "working", "calendar"),
    [
        (EW, D(2025, 12, 19), D(2025, 12, 19), 0, 0),  # same day
        (EW, D(2025, 12, 19), D(2025, 12, 29), 4, 10),  # 22, 23, 24, 29
        (EW, D(2025, 12, 25), D(2025, 12, 29), 1, 4),  # from a bank holiday: 29
        (EW, D(2025, 12, 27), D(2025, 12, 28), 0, 1),  # Saturday to Sunday
        (EW, D(2025, 12, 31), D(2026, 1, 5), 2, 5),  # 2, 5
        (SCOT, D(2025, 12, 31), D(2026, 1, 5), 1, 5),  # 5 (1, 2 Jan BH)
        (EW, D(2026, 4, 2), D(2026, 4, 7), 1, 5),  # 7 (3, 6 BH)
        (SCOT, D(2026, 4, 2), D(2026, 4, 7), 2, 5),  # 6, 7
        (NI, D(2026, 3, 16), D(2026, 3, 18), 1, 2),  # 18 (17 St Patrick's)
        (EW, D(2026, 3, 16), D(2026, 3, 18), 2, 2),  # 17, 18
        (NI, D(2026, 7, 10), D(2026, 7, 14), 1, 4),  # 14 (13 Boyne)
        (SCOT, D(2026, 11, 27), D(2026, 12, 1), 1, 4),  # 1 Dec (30 Nov St Andrew's)
        (EW, D(2026, 11, 27), D(2026, 12, 1), 2, 4),  # 30, 1
        (EW, D(2026, 1, 7), D(2026, 2, 18), 30, 42),  # six weeks, no holiday
    ],
)
def test_time_taken(
    division: Division, start: dt.date, end: dt.date, working: int, calendar: int
) -> None:
    taken = clock.time_taken(working_calendar(division), start, end)
    assert (taken.working_days, taken.calendar_days) == (working, calendar)


def test_time_taken_refuses_an_end_before_the_start() -> None:
    with pytest.raises(clock.FactsError, match="before start"):
        clock.time_taken(CAL_EW, D(2025, 12, 29), D(2025, 12, 19))
