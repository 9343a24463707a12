"""Graph and analysis: Snapshot → NetworkX graph → exposure, permissions, blast radius.

Nothing here imports a cloud SDK or Textual (import-linter contracts in pyproject.toml).
"""
