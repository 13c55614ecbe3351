"""``escalate-manage verify_audit_chain``: recompute the audit chain and say whether it holds.

Exit status 0 when every entry verifies and the append-only triggers are in place; 1 when the
chain is broken (naming the first broken entry and why) or a trigger is missing or disabled.
The verification is itself recorded as an ``audit-verified`` entry (``--no-record`` to skip,
e.g. on a read-only replica). Keep the printed head (``SEQUENCE:HASH``) somewhere other than
this database and pass it back with ``--anchor`` to detect entries removed from the end.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.audit.chain import Anchor, verify_chain
from escalate.audit.models import AuditAction, AuditResult, ObjectType
from escalate.audit.services import audit_record


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and its append-only triggers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            help="SEQUENCE:HASH printed by an earlier verification and kept elsewhere.",
        )
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="Do not add an audit-verified entry for this verification.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            anchor = Anchor.parse(options["anchor"]) if options["anchor"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        result = verify_chain(anchor)
        healthy = result.ok and not result.missing_triggers
        if not options["no_record"]:
            audit_record(
                actor=None,
                action=AuditAction.AUDIT_VERIFIED,
                object_type=ObjectType.AUDIT,
                result=AuditResult.SUCCESS if healthy else AuditResult.FAILED,
                detail={
                    "command": "verify_audit_chain",
                    "entries": result.entries,
                    "head": result.head_sequence,
                    "broken": result.broken_sequence,
                    "anchor": anchor.sequence if anchor else None,
                    "missing_triggers": sorted(result.missing_triggers),
                },
            )
        if result.missing_triggers:
            self.stderr.write(
                "Append-only triggers missing or disabled: "
                + ", ".join(sorted(result.missing_triggers))
            )
        if not result.ok:
            self.stderr.write(result.message)
        else:
            self.stdout.write(result.message)
        if not healthy:
            raise SystemExit(1)
