"""The append-only, hash-chained audit trail: who did what to which record, when, from where.

Record with :func:`escalate.audit.services.audit_record`; verify with
``escalate-manage verify_audit_chain``. See docs/adr/0002-audit-trail.md.
"""
