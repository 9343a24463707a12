"""GCP collector: projects, their folders/organization, IAM policies, networks, instances,
storage, Cloud SQL, Secret Manager, KMS and service accounts — read-only.

``PROVIDER.collect(scope)`` uses Application Default Credentials (or a saved connection's
service-account key) and ``scope.endpoint`` as the base URL of every API when given.
"""

from __future__ import annotations

from blastscope.providers.gcp.collector import SERVICES, GcpProvider

PROVIDER = GcpProvider()

__all__ = ["PROVIDER", "SERVICES", "GcpProvider"]
