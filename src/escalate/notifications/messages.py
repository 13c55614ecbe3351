"""What an outbox row says: its subject, body and link, rendered when it is sent.

Built only from the row's reference, kind, stage, obligation and due date, the procedure's own
words for the stage and the duty, and a link to the escalation. Never the name or any detail
of the person at risk, never text a user typed, never an address: a message that goes astray
tells its reader only that an escalation with this reference needs something by a date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from escalate.notifications.models import Kind, Notification
from escalate.procedures.words import long_date

PREFIX = "Escalate"


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    link: str


def link_for(*, reference: str, kind: str) -> str:
    """The escalation's page; for 'overdue, now with the next level' its Escalate page."""
    name = "cases:escalate" if kind == Kind.OVERDUE_NEXT_LEVEL else "cases:detail"
    return f"{settings.ESCALATE_SITE_URL}{reverse(name, args=[reference])}"


def _procedure_words(n: Notification) -> tuple[str, str]:
    """The stage's name and the duty's words from the procedure definition ('' when unknown).

    These are the published procedure's text, not anything a user typed."""
    from escalate.cases.rules import registry  # the cases app imports later

    key = n.escalation.procedure_key if n.escalation_id and n.escalation else ""
    if key:
        procedure_id, _, version = key.partition("@")
    else:
        procedure_id, version = n.partnership.procedure_id, n.partnership.procedure_version
    try:
        procedure = registry().get(procedure_id, version or None)
    except LookupError:
        return "", ""
    if n.kind == Kind.FORM:  # the form's title, from the definition
        title = next((f.title for f in procedure.forms if f.id == n.obligation), "")
        stage_name = ""
        if n.stage and n.stage <= procedure.top:
            stage_name = procedure.stage(n.stage).name
        return stage_name, title
    stage_name = ""
    duty = ""
    if n.stage:
        try:
            stage = procedure.stage(n.stage)
        except KeyError:
            return "", ""
        stage_name = stage.name
        if n.obligation:
            duty = next((o.what for o in stage.obligations if o.id == n.obligation), "")
    return stage_name, duty


@dataclass(frozen=True)
class _Facts:
    reference: str
    kind: str
    stage: int | None
    stage_name: str
    duty: str
    due: str  # the due date in words, or ''

    @property
    def at_stage(self) -> str:
        if not self.stage:
            return ""
        named = f" ({self.stage_name})" if self.stage_name else ""
        return f"stage {self.stage}{named}"

    @property
    def what(self) -> str:
        """What is due: the duty at the stage, or the stage itself."""
        if self.duty:
            return f"'{self.duty}' at stage {self.stage}" if self.stage else f"'{self.duty}'"
        return f"stage {self.stage}" if self.stage else "the next step"


def _facts(n: Notification) -> _Facts:
    stage_name, duty = _procedure_words(n)
    return _Facts(
        reference=n.reference,
        kind=n.kind,
        stage=n.stage,
        stage_name=stage_name,
        duty=duty,
        due=long_date(n.due_on) if n.due_on else "",
    )


def _panel_subject_and_lines(f: _Facts) -> tuple[str, list[str]] | None:
    """Panels and the top stage's outcome (``escalate.panels``); None for any other kind."""
    ref = f.reference
    if f.kind == Kind.PANEL:
        subject = f"{ref}: a panel sits on {f.due}" if f.due else f"{ref}: a panel was convened"
        at = f" at {f.at_stage}" if f.stage else ""
        lines = [f"A panel has been convened on escalation {ref}{at}."]
        if f.due:
            lines.append(f"It sits on {f.due}.")
    elif f.kind == Kind.OUTCOME:
        subject = f"{ref}: the outcome of the top stage"
        lines = [
            f"The outcome of escalation {ref} at its top stage has been recorded.",
            "Its record says what it is.",
        ]
    elif f.kind == Kind.RECOMMENDATION:
        subject = f"{ref}: a recommendation to your agency"
        lines = [f"A recommendation on escalation {ref} is addressed to your agency."]
        if f.due:
            lines.append(f"Your agency's response is due by {f.due}.")
    elif f.kind == Kind.RESPONSE:
        subject = f"{ref}: a response to a recommendation"
        lines = [f"An agency has responded to a recommendation on escalation {ref}."]
    else:
        return None
    return subject, lines


def _form_subject_and_lines(f: _Facts) -> tuple[str, list[str]] | None:
    """A signed form sent to its recipients (``escalate.documents``); None for any other kind.
    ``duty`` holds the form's title."""
    if f.kind != Kind.FORM:
        return None
    ref = f.reference
    lines = [f"A signed form on escalation {ref} has been sent to you, as the procedure asks."]
    if f.duty:
        lines.append(f"The form: {f.duty}.")
    if f.stage:
        lines.append(f"It was completed at {f.at_stage}.")
    return f"{ref}: a form has been sent to you", lines


def _subject_and_lines(f: _Facts) -> tuple[str, list[str]]:
    return _panel_subject_and_lines(f) or _form_subject_and_lines(f) or _case_subject_and_lines(f)


def _case_subject_and_lines(f: _Facts) -> tuple[str, list[str]]:
    ref = f.reference
    due_line = [f"Due date: {f.due}."] if f.due else []
    if f.kind == Kind.RAISED:
        subject = f"{ref}: a concern has been raised with you"
        lines = [f"Escalation {ref} has been raised and involves you or your agency."]
        if f.stage:
            lines.append(f"It is at {f.at_stage}.")
        lines += due_line
    elif f.kind == Kind.STAGE_ENTERED:
        subject = f"{ref}: now at stage {f.stage}" if f.stage else f"{ref}: a new stage began"
        lines = [f"Escalation {ref} is now at {f.at_stage or 'a new stage'}.", *due_line]
    elif f.kind == Kind.COPY:
        subject = f"{ref}: for your information"
        lines = [f"The procedure asks that you are told about escalation {ref}."]
        if f.stage:
            lines.append(f"It is at {f.at_stage}.")
        if f.duty:
            lines.append(f"The step: {f.duty}.")
        lines += due_line
    elif f.kind == Kind.DUE_SOON:
        subject = f"{ref}: due on {f.due}" if f.due else f"{ref}: due soon"
        lines = [f"In escalation {ref}, {f.what} is due on {f.due or 'a date soon'}."]
    elif f.kind == Kind.OVERDUE:
        subject = f"{ref}: overdue since {f.due}" if f.due else f"{ref}: overdue"
        lines = [f"In escalation {ref}, {f.what} was due on {f.due or 'an earlier date'}."]
    elif f.kind == Kind.OVERDUE_NEXT_LEVEL:
        nxt = f.stage + 1 if f.stage else None
        subject = (
            f"{ref}: overdue, now with you" if nxt is None else f"{ref}: overdue at stage {f.stage}"
        )
        lines = [
            f"In escalation {ref}, {f.what} was due on {f.due or 'an earlier date'} and has "
            "not been done.",
            "As the next level up, you can escalate it"
            + (f" to stage {nxt}." if nxt is not None else "."),
        ]
    elif f.kind == Kind.CLOSED:
        subject = f"{ref}: how it ended"
        lines = [f"Escalation {ref} has ended. Its record says how."]
    else:
        subject = f"{ref}: an update"
        lines = [f"There is an update on escalation {ref}."]
    return subject, lines


FOOTER = (
    "Sign in to Escalate to see the record. This message carries the reference only: "
    "no details of the person or of the concern."
)


def render(n: Notification) -> Message:
    """The message for one outbox row."""
    f = _facts(n)
    subject, lines = _subject_and_lines(f)
    link = link_for(reference=n.reference, kind=n.kind)
    action = "Escalate it" if n.kind == Kind.OVERDUE_NEXT_LEVEL else "Open the escalation"
    body = "\n\n".join([*lines, f"{action}: {link}", FOOTER]) + "\n"
    return Message(subject=f"{PREFIX}: {subject}", body=body, link=link)


def render_digest(rows: Iterable[Notification], *, on: dt.date | None = None) -> Message:
    """One person's daily digest: each held row as a line and its link."""
    rows = list(rows)
    count = len(rows)
    when = f" for {long_date(on)}" if on is not None else ""
    subject = f"{PREFIX}: your daily summary{when} ({count} update{'s' if count != 1 else ''})"
    items = []
    for n in rows:
        line, _ = _subject_and_lines(_facts(n))
        link = link_for(reference=n.reference, kind=n.kind)
        items.append(f"- {line}\n  {link}")
    link = f"{settings.ESCALATE_SITE_URL}{reverse('cases:home')}"
    body = "\n\n".join(
        [
            "Updates on escalations that involve you, gathered once a day as you asked:",
            "\n".join(items),
            f"Escalate: {link}",
            FOOTER,
        ]
    )
    return Message(subject=subject, body=body + "\n", link=link)
