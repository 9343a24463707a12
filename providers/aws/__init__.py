"""AWS collector (read-only): one module per service, registered in SERVICES."""
