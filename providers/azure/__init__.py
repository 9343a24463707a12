"""Azure collector (see shared/DESIGN.md)."""
