"""Per-cloud permission evaluation: each module turns a snapshot's raw policy documents
into permission edges (``can_access``, ``can_assume``, ``can_escalate``) with their reasons."""
