"""The recorded Acme estate the GCP fake serves: which call answers with which file.

One project (acme-prod, number 123456789012) under folder 456789 under organization
987654321. Paths are URL-decoded; the fake adds paging from ``<file>.<token>.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = "acme-prod"
C = f"/compute/v1/projects/{PROJECT}"
SA = f"/v1/projects/{PROJECT}/serviceAccounts"
WEB = "web-sa@acme-prod.iam.gserviceaccount.com"
CI = "ci-deployer@acme-prod.iam.gserviceaccount.com"
DEFAULT_SA = "123456789012-compute@developer.gserviceaccount.com"
RING = f"projects/{PROJECT}/locations/us-central1/keyRings/app-ring"
DENY = "/v2/policies/cloudresourcemanager.googleapis.com"
PREDEFINED = (
    "viewer",
    "storage.objectViewer",
    "storage.objectAdmin",
    "storage.legacyBucketOwner",
    "storage.legacyBucketReader",
    "iam.serviceAccountUser",
    "iam.serviceAccountTokenCreator",
    "secretmanager.secretAccessor",
    "cloudkms.cryptoKeyEncrypterDecrypter",
    "cloudsql.client",
    "compute.storageAdmin",
)
"""Predefined roles the estate binds; ``viewer`` and ``compute.storageAdmin`` are excerpts of
the real lists (every permission listed is in the real role), the others are complete."""

ROUTES: dict[str, str] = {
    f"GET /v3/projects/{PROJECT}": "resourcemanager/project.json",
    "GET /v3/projects:search": "resourcemanager/projects_search.json",
    f"POST /v3/projects/{PROJECT}:getIamPolicy": "resourcemanager/project_iam.json",
    "GET /v3/folders/456789": "resourcemanager/folder.json",
    "POST /v3/folders/456789:getIamPolicy": "resourcemanager/folder_iam.json",
    "GET /v3/organizations/987654321": "resourcemanager/organization.json",
    "POST /v3/organizations/987654321:getIamPolicy": "resourcemanager/organization_iam.json",
    f"GET {DENY}/projects/{PROJECT}/denypolicies": "iam/denypolicies_list.json",
    f"GET {DENY}/projects/123456789012/denypolicies/deny-analyst-object-reads": (
        "iam/denypolicy_analyst.json"
    ),
    f"GET {DENY}/folders/456789/denypolicies": "iam/denypolicies_empty.json",
    f"GET {DENY}/organizations/987654321/denypolicies": "iam/denypolicies_empty.json",
    f"GET {C}/global/networks": "compute/networks.json",
    f"GET {C}/aggregated/subnetworks": "compute/subnetworks_aggregated.json",
    f"GET {C}/global/firewalls": "compute/firewalls.json",
    f"GET {C}/global/routes": "compute/routes.json",
    f"GET {C}/aggregated/instances": "compute/instances_aggregated.json",
    f"GET {C}/aggregated/disks": "compute/disks_aggregated.json",
    f"GET {C}/global/snapshots": "compute/snapshots.json",
    f"GET {C}": "compute/project.json",
    f"GET {C}/global/snapshots/web-1-nightly/getIamPolicy": "compute/snapshot_iam.json",
    "GET /storage/v1/b": "storage/buckets.json",
    "GET /storage/v1/b/acme-data/iam": "storage/iam_acme-data.json",
    "GET /storage/v1/b/acme-public-assets/iam": "storage/iam_acme-public-assets.json",
    "GET /storage/v1/b/acme-backups/iam": "storage/iam_acme-backups.json",
    f"GET /v1/projects/{PROJECT}/instances": "sql/instances.json",
    f"GET /v1/projects/{PROJECT}/secrets": "secretmanager/secrets.json",
    f"GET /v1/projects/{PROJECT}/secrets/db-password:getIamPolicy": (
        "secretmanager/iam_db-password.json"
    ),
    f"GET /v1/projects/{PROJECT}/secrets/api-token:getIamPolicy": (
        "secretmanager/iam_api-token.json"
    ),
    f"GET /v1/projects/{PROJECT}/locations": "kms/locations.json",
    f"GET /v1/projects/{PROJECT}/locations/global/keyRings": "kms/keyrings_empty.json",
    f"GET /v1/projects/{PROJECT}/locations/us-central1/keyRings": "kms/keyrings_us-central1.json",
    f"GET /v1/{RING}/cryptoKeys": "kms/cryptokeys_app-ring.json",
    f"GET /v1/{RING}:getIamPolicy": "kms/iam_app-ring.json",
    f"GET /v1/{RING}/cryptoKeys/data-key:getIamPolicy": "kms/iam_data-key.json",
    f"GET {SA}": "iam/service_accounts.json",
    f"GET {SA}/{WEB}/keys": "iam/keys_empty.json",
    f"GET {SA}/{CI}/keys": "iam/keys_ci-deployer.json",
    f"GET {SA}/{DEFAULT_SA}/keys": "iam/keys_empty.json",
    f"POST {SA}/{WEB}:getIamPolicy": "iam/sa_iam_empty.json",
    f"POST {SA}/{CI}:getIamPolicy": "iam/sa_iam_ci-deployer.json",
    f"POST {SA}/{DEFAULT_SA}:getIamPolicy": "iam/sa_iam_empty.json",
    f"GET /v1/projects/{PROJECT}/roles": "iam/custom_roles.json",
    **{f"GET /v1/roles/{r}": f"iam/roles/{r}.json" for r in PREDEFINED},
}

READ_POSTS = (":getIamPolicy", ":testIamPermissions", "/token")
"""POSTs that read by API design: IAM policy reads and the OAuth token grant."""


def service_account_key(token_uri: str) -> dict[str, Any]:
    """A service-account key JSON (fresh RSA key) whose token endpoint is the fake."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": f"scanner@{PROJECT}.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }


def isolated_env(
    base: dict[str, str], *, key_file: Path, ca_file: Path, home: Path
) -> dict[str, str]:
    """An environment in which google-auth finds only the fake: no gcloud, no metadata server."""
    env = {k: v for k, v in base.items() if not k.startswith(("GOOGLE_", "CLOUDSDK_", "GCE_"))}
    empty = home / "gcloud"
    empty.mkdir(exist_ok=True)
    env.update(
        GOOGLE_APPLICATION_CREDENTIALS=str(key_file),
        REQUESTS_CA_BUNDLE=str(ca_file),
        SSL_CERT_FILE=str(ca_file),
        CLOUDSDK_CONFIG=str(empty),
        NO_GCE_CHECK="true",
        GCE_METADATA_HOST="127.0.0.1:9",
        GCE_METADATA_IP="127.0.0.1:9",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def write_key(path: Path, token_uri: str) -> Path:
    path.write_text(json.dumps(service_account_key(token_uri)))
    return path


def offline_snapshot() -> Any:
    """The Acme estate through the collector's pure transforms (no HTTP), as a Snapshot."""
    from blastscope.graph.model import merge_parts
    from blastscope.providers.gcp import compute, iam, kms, network, secretmanager, sql
    from blastscope.providers.gcp import resourcemanager as rm
    from blastscope.providers.gcp import storage as gcs
    from blastscope.providers.gcp.collector import finish

    data = Path(__file__).resolve().parents[1] / "data" / "gcp"

    def load(name: str) -> Any:
        return json.loads((data / name).read_text())

    def pages(name: str, key: str) -> list[Any]:
        first = load(name)
        items = list(first.get(key, []))
        if first.get("nextPageToken"):
            stem = name[: -len(".json")]
            items += load(f"{stem}.{first['nextPageToken']}.json").get(key, [])
        return items

    def aggregated(name: str, key: str) -> list[Any]:
        out = []
        for page in (
            load(name),
            *(
                [load(name.replace(".json", ".page2.json"))]
                if load(name).get("nextPageToken")
                else []
            ),
        ):
            for scoped in page["items"].values():
                out.extend(scoped.get(key, []))
        return out

    org, folder = "organizations/987654321", "folders/456789"
    levels = [
        load("resourcemanager/project.json"),
        load("resourcemanager/folder.json"),
        load("resourcemanager/organization.json"),
    ]
    policies = {
        f"projects/{PROJECT}": load("resourcemanager/project_iam.json"),
        folder: load("resourcemanager/folder_iam.json"),
        org: load("resourcemanager/organization_iam.json"),
    }
    denies = {f"projects/{PROJECT}": [load("iam/denypolicy_analyst.json")], folder: [], org: []}
    parts = [rm.transform_hierarchy(levels, policies, denies)]
    parts.append(
        network.transform_network_data(
            PROJECT,
            {
                "networks": pages("compute/networks.json", "items"),
                "subnetworks": aggregated("compute/subnetworks_aggregated.json", "subnetworks"),
                "firewalls": pages("compute/firewalls.json", "items"),
                "routes": pages("compute/routes.json", "items"),
            },
        )
    )
    parts.append(
        compute.transform_compute_data(
            PROJECT,
            {
                "instances": aggregated("compute/instances_aggregated.json", "instances"),
                "disks": aggregated("compute/disks_aggregated.json", "disks"),
                "snapshots": pages("compute/snapshots.json", "items"),
            },
            project_metadata=load("compute/project.json")["commonInstanceMetadata"],
            snapshot_policies={"web-1-nightly": load("compute/snapshot_iam.json")},
        )
    )
    buckets = pages("storage/buckets.json", "items")
    parts.append(
        gcs.transform_buckets(
            PROJECT, buckets, {b["name"]: load(f"storage/iam_{b['name']}.json") for b in buckets}
        )
    )
    parts.append(sql.transform_instances(PROJECT, load("sql/instances.json")["items"]))
    secrets = pages("secretmanager/secrets.json", "secrets")
    parts.append(
        secretmanager.transform_secrets(
            PROJECT,
            secrets,
            {
                s["name"].rsplit("/", 1)[1]: load(
                    f"secretmanager/iam_{s['name'].rsplit('/', 1)[1]}.json"
                )
                for s in secrets
            },
        )
    )
    ring = load("kms/keyrings_us-central1.json")["keyRings"]
    keys = {ring[0]["name"]: load("kms/cryptokeys_app-ring.json")["cryptoKeys"]}
    parts.append(
        kms.transform_kms(
            PROJECT,
            {"rings": ring, "keys": keys},
            {
                ring[0]["name"]: load("kms/iam_app-ring.json"),
                keys[ring[0]["name"]][0]["name"]: load("kms/iam_data-key.json"),
            },
        )
    )
    accounts = pages("iam/service_accounts.json", "accounts")
    sa_keys = {
        a["name"]: load("iam/keys_ci-deployer.json")["keys"] if a["email"] == CI else []
        for a in accounts
    }
    sa_pol = {
        a["name"]: load("iam/sa_iam_ci-deployer.json")
        if a["email"] == CI
        else load("iam/sa_iam_empty.json")
        for a in accounts
    }
    parts.append(iam.transform_service_accounts(PROJECT, accounts, sa_keys, sa_pol))
    roles = [load(f"iam/roles/{r}.json") for r in PREDEFINED]
    roles += load("iam/custom_roles.json")["roles"]
    from blastscope.graph.model import Partial

    parts.append(Partial(documents=iam.transform_roles(roles)))
    return finish(
        merge_parts(
            parts,
            provider="gcp",
            scope={"projects": [PROJECT]},
            collected_at="2024-06-01T00:00:00Z",
        )
    )
