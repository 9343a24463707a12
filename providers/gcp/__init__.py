"""GCP collector (see shared/DESIGN.md)."""
