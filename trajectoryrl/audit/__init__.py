"""Tamper-evident audit log of every epoch decision (hash-chained JSON lines)."""

from trajectoryrl.audit._log import GENESIS, AuditEntry, AuditLog, AuditProblem, verify_log

__all__ = ["GENESIS", "AuditEntry", "AuditLog", "AuditProblem", "verify_log"]
