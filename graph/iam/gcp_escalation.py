"""GCP privilege escalation: ways a principal becomes another identity (or owns a scope).

One checker per technique, each reading effective permissions on the target:
- on a service account: ``getAccessToken``, ``signBlob``, ``signJwt``, ``implicitDelegation``
  (mint its credentials), ``serviceAccountKeys.create`` (a long-lived key),
  ``serviceAccounts.setIamPolicy`` (grant oneself the above), ``actAs`` (deploy something
  that runs as it — needs a deploy permission too, else the edge is conditional);
- on an instance: ``compute.instances.setMetadata`` (add an SSH key, use its token) and
  ``setServiceAccount`` (attach an account one can act as);
- on a project/folder/organization: ``setIamPolicy`` (grant oneself anything there).
"""

from __future__ import annotations

from collections.abc import Iterable

from blastscope.graph.iam.gcp_eval import Grant, effective_grants
from blastscope.graph.iam.gcp_policies import GcpIndex
from blastscope.graph.model import Edge, EdgeKind, NodeKind

SA_TECHNIQUES = (
    ("iam.serviceAccounts.getAccessToken", "getAccessToken"),
    ("iam.serviceAccountKeys.create", "serviceAccountKeys.create"),
    ("iam.serviceAccounts.signJwt", "signJwt"),
    ("iam.serviceAccounts.signBlob", "signBlob"),
    ("iam.serviceAccounts.implicitDelegation", "implicitDelegation"),
    ("iam.serviceAccounts.setIamPolicy", "setIamPolicy"),
    ("iam.serviceAccounts.actAs", "actAs"),
)
DEPLOY = frozenset(
    {
        "compute.instances.create",
        "cloudfunctions.functions.create",
        "cloudfunctions.functions.update",
        "run.services.create",
        "run.jobs.create",
        "cloudbuild.builds.create",
        "dataflow.jobs.create",
        "composer.environments.create",
    }
)
"""Permissions that start something running as an account one can actAs."""
SET_IAM = {
    "project": "resourcemanager.projects.setIamPolicy",
    "folder": "resourcemanager.folders.setIamPolicy",
    "organization": "resourcemanager.organizations.setIamPolicy",
}
INSTANCE = ("compute.instances.setMetadata", "compute.instances.setServiceAccount")


def escalation_edges(idx: GcpIndex) -> Iterable[Edge]:
    deployers: dict[str, dict[str, dict[str, Grant]]] = {}
    # (principal, account) → instances through which setMetadata reaches it, conditional?
    via_metadata: dict[tuple[str, str], tuple[list[str], bool, dict[str, Grant]]] = {}
    attachers: dict[str, tuple[str, dict[str, Grant]]] = {}
    for node in list(idx.nodes.values()):
        if node.kind == NodeKind.IDENTITY and node.props.get("principal_type") == "service_account":
            yield from _service_account(idx, node.id, deployers)
        elif node.kind == NodeKind.ACCOUNT:
            yield from _scope(idx, node.id, str(node.props.get("level", "")))
        elif node.kind == NodeKind.INSTANCE and idx.runs_as.get(node.id):
            _instance(idx, node.id, via_metadata, attachers)
    for (principal, account), (names, conditional, perms) in sorted(via_metadata.items()):
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        yield _edge(
            idx, principal, account, ["setMetadata"], ["compute.instances.setMetadata"], perms,
            conditional, f"; adds an SSH key to {shown} and uses its token",
        )  # fmt: skip
    yield from _attach(idx, attachers)


def _service_account(
    idx: GcpIndex, sa: str, deployers: dict[str, dict[str, dict[str, Grant]]]
) -> Iterable[Edge]:
    wanted = frozenset(p for p, _ in SA_TECHNIQUES)
    grants = effective_grants(idx, sa, wanted)
    if not grants:
        return
    project = idx.project_of.get(str(idx.nodes[sa].props.get("account", "")))
    if project is not None and project not in deployers:
        deployers[project] = effective_grants(idx, project, DEPLOY)
    can_deploy = deployers.get(project or "", {})
    for principal, perms in sorted(grants.items()):
        if principal == sa:
            continue
        used = [(p, t) for p, t in SA_TECHNIQUES if p in perms]
        direct = [(p, t) for p, t in used if t != "actAs"]
        conditional = all(perms[p].conditional for p, _ in used)
        note = ""
        if not direct:  # actAs alone: needs something to deploy as the account
            deploy = can_deploy.get(principal, {})
            if not deploy:
                conditional = True
                note = "; needs a permission to deploy a resource as it (none found)"
            else:
                conditional = conditional or all(g.conditional for g in deploy.values())
                note = f"; with {', '.join(sorted(deploy))}"
        techniques = [t for _, t in used]
        yield _edge(idx, principal, sa, techniques, [p for p, _ in used], perms, conditional, note)


def _scope(idx: GcpIndex, scope: str, level: str) -> Iterable[Edge]:
    permission = SET_IAM.get(level)
    if permission is None:
        return
    for principal, perms in sorted(effective_grants(idx, scope, frozenset({permission})).items()):
        grant = perms[permission]
        yield _edge(
            idx, principal, scope, ["setIamPolicy"], [permission], perms, grant.conditional,
            f"; grants itself any role on this {level}",
        )  # fmt: skip


def _instance(
    idx: GcpIndex,
    instance: str,
    via_metadata: dict[tuple[str, str], tuple[list[str], bool, dict[str, Grant]]],
    attachers: dict[str, tuple[str, dict[str, Grant]]],
) -> None:
    """Note who can change this instance's metadata or service account."""
    grants = effective_grants(idx, instance, frozenset(INSTANCE))
    name = idx.nodes[instance].name
    for principal, perms in grants.items():
        meta = perms.get("compute.instances.setMetadata")
        if meta is not None:
            for account in idx.runs_as.get(instance, []):
                if account == principal:
                    continue
                names, conditional, _ = via_metadata.get((principal, account), ([], True, perms))
                names.append(name)
                via_metadata[(principal, account)] = (
                    names,
                    conditional and meta.conditional,
                    perms,
                )
        attach = perms.get("compute.instances.setServiceAccount")
        if attach is not None and (principal not in attachers or not attach.conditional):
            attachers[principal] = (name, perms)


def _attach(idx: GcpIndex, attachers: dict[str, tuple[str, dict[str, Grant]]]) -> Iterable[Edge]:
    """setServiceAccount on some instance + actAs on an account: run the instance as it."""
    if not attachers:
        return
    for sa, node in sorted(idx.nodes.items()):
        if node.props.get("principal_type") != "service_account":
            continue
        act = effective_grants(idx, sa, frozenset({"iam.serviceAccounts.actAs"}))
        for principal in sorted(set(act) & set(attachers)):
            if principal == sa:
                continue
            name, perms = attachers[principal]
            acting = act[principal]["iam.serviceAccounts.actAs"]
            attach = perms["compute.instances.setServiceAccount"]
            yield _edge(
                idx, principal, sa, ["setServiceAccount"],
                ["compute.instances.setServiceAccount", "iam.serviceAccounts.actAs"],
                {**perms, **act[principal]}, attach.conditional or acting.conditional,
                f"; attaches it to an instance it may change, e.g. {name}",
            )  # fmt: skip


def _edge(
    idx: GcpIndex,
    src: str,
    dst: str,
    techniques: list[str],
    actions: list[str],
    perms: dict[str, Grant],
    conditional: bool,
    note: str,
) -> Edge:
    refs = {r for a in actions if a in perms for r in perms[a].refs}
    who = idx.nodes[src].name if src in idx.nodes else src
    target = idx.nodes[dst].name if dst in idx.nodes else dst
    return Edge(
        src,
        dst,
        EdgeKind.CAN_ESCALATE,
        {
            "technique": techniques[0],
            "techniques": techniques,
            "actions": actions,
            "conditional": conditional,
            "reason": f"{who} can become {target} via {', '.join(techniques)}{note}",
            "evidence": [
                {"document": r.document, "statement": r.index, "role": r.sid}
                for r in sorted(refs, key=lambda r: (r.document, r.index or 0))
            ],
        },
    )
