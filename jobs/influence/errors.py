"""Errors a user can act on: the CLI prints their message as one line and exits non-zero."""


class InfluenceError(Exception):
    """Bad input or state, with a message that says what to do about it."""


class AuditFailed(InfluenceError):
    """Candidate rows broke their table's expectations; nothing was published."""

    def __init__(self, table: str, failures: list[str], details: dict | None = None):
        self.table = table
        self.failures = failures
        # The Great Expectations validation result, kept on disk by quality.kept_on_failure.
        self.details = details or {}
        self.kept = None
        shown = "; ".join(failures[:5]) + (f"; and {len(failures) - 5} more" if len(failures) > 5 else "")
        super().__init__(f"audit of {table} failed, nothing published: {shown}")
