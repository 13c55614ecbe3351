"""Escalate: runs multi-agency safeguarding escalation procedures."""
