"""GCP collector: projects, their folders/organization, IAM allow and deny policies, networks
and firewall rules, instances, disks, snapshots, buckets, Cloud SQL, Secret Manager, KMS and
service accounts — read-only.

``PROVIDER.collect(scope)`` uses Application Default Credentials (or a saved connection's
service-account key) and ``scope.endpoint`` as the base URL of every API when given. Every
call is a list/get, or a POST that reads by API design (``getIamPolicy``, the OAuth token
grant). Enough to read everything: ``roles/viewer`` and ``roles/iam.securityReviewer`` on the
organization (or the projects), plus ``roles/iam.denyReviewer`` for deny policies.
"""

from __future__ import annotations

from blastscope.providers.gcp.collector import SERVICES, GcpProvider

PROVIDER = GcpProvider()

__all__ = ["PROVIDER", "SERVICES", "GcpProvider"]
