"""``escalate-manage verify_audit_chain``: recompute every audit chain and say whether each holds.

One line per chain: ``Audit chain NAME verified: N entries (head NAME:SEQUENCE:HASH)`` on
standard output, ``Audit chain NAME broken at entry S: why.`` on standard error; then a summary
line. Chains are ``legacy`` (entries written before there were chains), ``installation`` and
``partnership-<id>`` (ADR 0006).

Exit status 0 when every chain verifies and the append-only triggers are in place; 1 when any
chain is broken (each broken chain named, with its first broken entry and why) or a trigger is
missing or disabled. The verification is itself recorded as an ``audit-verified`` entry
(``--no-record`` to skip, e.g. on a read-only replica). Keep the output somewhere other than
this database and pass it back with ``--anchors-from`` (or single heads with ``--anchor``) to
detect entries removed from the end of a chain, or a chain removed altogether.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.audit.chain import Anchor, anchors_in, verify_chain
from escalate.audit.models import AuditAction, AuditResult, ObjectType, parse_chain_name
from escalate.audit.services import audit_record


class Command(BaseCommand):
    help = "Verify the audit trail's hash chains and its append-only triggers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            help="CHAIN:SEQUENCE:HASH printed by an earlier verification and kept elsewhere "
            "(SEQUENCE:HASH for the legacy chain). May be given more than once.",
        )
        parser.add_argument(
            "--anchors-from",
            metavar="FILE",
            help="A file of anchors: an earlier verification's saved output, or one anchor a line.",
        )
        parser.add_argument(
            "--chain",
            action="append",
            default=[],
            help="Verify only this chain (legacy, installation or partnership-<id>). "
            "May be given more than once.",
        )
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="Do not add an audit-verified entry for this verification.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            anchors = [Anchor.parse(text) for text in options["anchor"]]
            if options["anchors_from"]:
                anchors += anchors_in(Path(options["anchors_from"]).read_text(encoding="utf-8"))
            chains = [parse_chain_name(name) for name in options["chain"]] or None
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        result = verify_chain(anchors, chains=chains)
        healthy = result.ok and not result.missing_triggers
        if not options["no_record"]:
            audit_record(
                actor=None,
                action=AuditAction.AUDIT_VERIFIED,
                object_type=ObjectType.AUDIT,
                result=AuditResult.SUCCESS if healthy else AuditResult.FAILED,
                detail={
                    "command": "verify_audit_chain",
                    "chains": len(result.chains),
                    "only": sorted(options["chain"]),
                    "entries": result.entries,
                    "broken": [f"{c.name}:{c.broken_sequence}" for c in result.broken],
                    "anchors": len(anchors),
                    "missing_triggers": sorted(result.missing_triggers),
                },
            )
        if result.missing_triggers:
            self.stderr.write(
                "Append-only triggers missing or disabled: "
                + ", ".join(sorted(result.missing_triggers))
            )
        for chain in result.chains:
            (self.stdout if chain.ok else self.stderr).write(chain.message)
        (self.stdout if result.ok else self.stderr).write(result.message)
        if not healthy:
            raise SystemExit(1)
