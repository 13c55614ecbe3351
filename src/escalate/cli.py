"""The ``escalate`` command: procedures, plans and checks from the command line.

Exit status: 0 done, 1 a definition file is invalid (``procedures check``), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from escalate.procedures import clock, words
from escalate.procedures.calendar import working_calendar
from escalate.procedures.registry import (
    DIRS_ENV,
    Registry,
    UnknownProcedureError,
    dirs_from_env,
    load_registry,
)
from escalate.procedures.schema import DefinitionError, Division, Procedure, load_definition

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class UsageError(Exception):
    pass


def _date(text: str, what: str) -> dt.date:
    if not _ISO_DATE.match(text):
        raise UsageError(f"{what}: '{text}' is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{what}: '{text}' is not a real date") from None


def _entries(values: Sequence[str], procedure: Procedure) -> dict[int, dt.date]:
    out: dict[int, dt.date] = {}
    for value in values:
        stage_text, sep, date_text = value.partition("=")
        if not sep or not stage_text.strip().isdigit():
            raise UsageError(f"--entered: '{value}' should be STAGE=YYYY-MM-DD, e.g. 2=2025-12-22")
        stage = int(stage_text)
        if not 1 <= stage <= procedure.top:
            raise UsageError(
                f"--entered: {procedure.id} has no stage {stage} (its stages are 1 to "
                f"{procedure.top})"
            )
        if stage in out:
            raise UsageError(f"--entered: stage {stage} is given twice")
        out[stage] = _date(date_text.strip(), f"--entered {stage}")
    return out


def _registry(args: argparse.Namespace) -> Registry:
    dirs = dirs_from_env(os.environ)
    dirs += [Path(d) for d in args.definitions or ()]
    return load_registry(dirs)


# ---------------------------------------------------------------------------------------
# plan


def plan_json(procedure: Procedure, the_plan: clock.Plan, raised: dt.date) -> dict[str, Any]:
    def iso(on: dt.date | None) -> str | None:
        return on.isoformat() if on is not None else None

    return {
        "procedure": procedure.id,
        "calendar": the_plan.division,
        "raised": raised.isoformat(),
        "overall_due": iso(the_plan.overall_due_on),
        "stages": [
            {
                "number": s.number,
                "name": s.name,
                "entered": iso(s.entered_on),
                "entered_is_planned": s.entered_is_planned,
                "due": iso(s.due_on),
                "obligations": [{"what": o.what, "due": iso(o.due_on)} for o in s.obligations],
            }
            for s in the_plan.stages
        ],
    }


def plan_table(procedure: Procedure, the_plan: clock.Plan) -> str:
    def mark(on: dt.date | None, estimated: bool) -> str:
        return words.day(on) + (" *" if estimated and on is not None else "")

    lines = [
        f"{procedure.title}",
        f"{procedure.id}, version {procedure.version}; calendar {the_plan.division}",
        f"Concern identified (day 0): {words.day(the_plan.outset_on)}",
    ]
    if procedure.overall is not None:
        due = mark(the_plan.overall_due_on, the_plan.overall_estimated)
        lines.append(f"Overall: {procedure.overall.meaning} by {due}")
    lines.append("")
    header = f"{'Stage':<6}{'Entered':<28}{'Due':<20}Name"
    lines += [header, "-" * len(header)]
    any_estimated = the_plan.overall_estimated
    for s in the_plan.stages:
        entered = words.day(s.entered_on) + (" (planned)" if s.entered_is_planned else "")
        due = mark(s.due_on, s.estimated) if s.due_on else "no timescale"
        lines.append(f"{s.number:<6}{entered:<28}{due:<20}{s.name}")
        for o in s.obligations:
            when = mark(o.due_on, o.estimated) if o.due_on else _pending(procedure, s.number, o.id)
            lines.append(
                textwrap.fill(
                    f"- {o.what}: {when}", 96, initial_indent=" " * 6, subsequent_indent=" " * 8
                )
            )
            any_estimated |= o.estimated
        any_estimated |= s.estimated
    if any_estimated:
        lines += ["", "* counted over years GOV.UK has not yet published: bank holidays estimated"]
    return "\n".join(lines)


def _pending(procedure: Procedure, stage: int, obligation: str) -> str:
    rule = next(o for o in procedure.stage(stage).obligations if o.id == obligation).due
    return words.due_rule(rule, procedure)


def cmd_plan(args: argparse.Namespace) -> int:
    registry = _registry(args)
    try:
        procedure = registry.get(args.procedure)
    except UnknownProcedureError as exc:
        raise UsageError(str(exc)) from None
    raised = _date(args.raised, "--raised")
    entered = _entries(args.entered or (), procedure)
    calendar = working_calendar(Division(args.calendar or procedure.calendar))
    facts = clock.Facts(outset_on=raised, entered=entered)
    try:
        the_plan = clock.plan(procedure, calendar, facts)
    except clock.FactsError as exc:
        raise UsageError(f"--entered: {exc}") from None
    if args.json:
        print(json.dumps(plan_json(procedure, the_plan, raised), indent=2))
    else:
        print(plan_table(procedure, the_plan))
    return 0


# ---------------------------------------------------------------------------------------
# procedures


def cmd_procedures(args: argparse.Namespace) -> int:
    registry = _registry(args)
    rows = [(p.id, p.version, p.protects.value, str(p.top), p.title) for p in registry.latest()]
    widths = [
        max(len(r[i]) for r in [("id", "version", "protects", "stages", ""), *rows])
        for i in range(4)
    ]
    print(
        "  ".join(
            h.ljust(w) for h, w in zip(("id", "version", "protects", "stages"), widths, strict=True)
        )
        + "  title"
    )
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
    return 0


def describe(procedure: Procedure) -> str:
    p = procedure
    fill = textwrap.TextWrapper(width=96, subsequent_indent="    ")
    out = [
        p.title,
        f"{p.id}, version {p.version}, in force from {words.day(p.effective_from)}",
        f"Board: {p.board}",
        f"Protects: {p.protects.value}; calendar: {p.calendar.value}",
        "",
    ]
    if p.before_stage_1:
        out += [fill.fill(f"Before stage 1: {p.before_stage_1}"), ""]
    out += [fill.fill(f"Immediate risk: {p.immediate_risk.route}")]
    out += [f"    {c}" for c in p.immediate_risk.contacts]
    out.append("")
    for s in p.stages:
        out.append(f"Stage {s.number}: {s.name}")
        out.append(fill.fill(f"  Who: {s.who}"))
        out.append(fill.fill(f"  Due: {words.due_rule(s.due, p, none=s.no_timescale_text or '')}"))
        if s.protective_timescale:
            out.append("  An earlier timescale may be set to protect the person, with a reason.")
        for agency, who in s.who_by_agency.items():
            out.append(fill.fill(f"  {agency.value}: {who}"))
        for agency, who in s.may_join_by_agency.items():
            out.append(fill.fill(f"  may also join ({agency.value}): {who}"))
        for o in s.obligations:
            due = words.due_rule(o.due, p)
            to = f" (to: {', '.join(r.value for r in o.recipients)})" if o.recipients else ""
            out.append(fill.fill(f"  - {o.what}: {due}{to}"))
        for form_id in s.forms:
            out.append(f"  Form: {p.form(form_id).title}")
        if s.panel is not None:
            out.append(fill.fill(f"  Panel: {s.panel.name} ({s.panel.convened})"))
        out.extend(fill.fill(f"  Note: {n}") for n in s.notes)
        out.append("")
    if p.overall is not None:
        out.append(fill.fill(f"Overall: {p.overall.meaning}, {words.due_rule(p.overall.due, p)}."))
    out.append(fill.fill(f"Top stage ({p.top_stage.produces.value}): {p.top_stage.text}"))
    return "\n".join(out)


def cmd_show(args: argparse.Namespace) -> int:
    try:
        procedure = _registry(args).get(args.id)
    except UnknownProcedureError as exc:
        raise UsageError(str(exc)) from None
    print(describe(procedure))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    status = 0
    for name in args.files:
        try:
            proc = load_definition(Path(name))
        except DefinitionError as exc:
            print(exc, file=sys.stderr)
            status = 1
        else:
            print(f"{name}: ok ({proc.id}, version {proc.version}, {proc.top} stages)")
    return status


# ---------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="escalate", description=__doc__.splitlines()[0])
    top.add_argument(
        "--definitions",
        action="append",
        metavar="DIR",
        help=f"also load procedure definitions from DIR (repeatable; or set {DIRS_ENV})",
    )
    sub = top.add_subparsers(dest="command", required=True)

    procs = sub.add_parser("procedures", help="list the procedures, show one, check a file")
    procs.set_defaults(run=cmd_procedures)
    procs_sub = procs.add_subparsers(dest="action")
    show = procs_sub.add_parser("show", help="a procedure's stages, who acts and due rules")
    show.add_argument("id")
    show.set_defaults(run=cmd_show)
    check = procs_sub.add_parser("check", help="validate definition files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(run=cmd_check)

    plan = sub.add_parser("plan", help="due dates of every stage for an escalation")
    plan.add_argument("--procedure", required=True, metavar="ID")
    plan.add_argument(
        "--raised",
        required=True,
        metavar="YYYY-MM-DD",
        help="the outset: the day the concern was identified (day 0)",
    )
    plan.add_argument(
        "--calendar",
        choices=[d.value for d in Division],
        help="bank holidays to use (default: the procedure's own)",
    )
    plan.add_argument(
        "--entered",
        action="append",
        metavar="STAGE=YYYY-MM-DD",
        help="a stage's actual entry date (repeatable)",
    )
    plan.add_argument("--json", action="store_true", help="print one JSON object")
    plan.set_defaults(run=cmd_plan)
    return top


def _fail(message: str) -> NoReturn:
    print(f"escalate: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except UsageError as exc:
        _fail(str(exc))
    except DefinitionError as exc:
        _fail(f"a procedure definition is invalid:\n{exc}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
