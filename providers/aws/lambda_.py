"""A region's Lambda functions: role, function URL auth, resource policy, env-var findings.

``ListFunctions`` returns each function's configuration, environment variables included; the
variables are scanned for secrets here and dropped — only findings leave. ``GetFunction`` is
never called: it hands out a download link for the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import (
    MISSING,
    Ctx,
    Gaps,
    attach_resource_policy,
    iso,
    known,
    node,
)
from blastscope.providers.aws.kms import key_ref
from blastscope.providers.aws.session import Clients, paginate
from blastscope.providers.secrets import scan_text

NOT_FOUND = ("ResourceNotFoundException",)


def scan_environment(variables: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """Findings in ``NAME=value`` lines of a function's environment (values never kept)."""
    findings: list[dict[str, Any]] = []
    for name in sorted(variables or {}):
        line = f"{name}={variables[name]}" if variables else ""
        findings.extend(scan_text(line, location=f"env:{name}"))
    return findings


def get_functions(clients: Clients, ctx: Ctx, gaps: Gaps) -> list[dict[str, Any]]:
    """Functions (paginated) with URL config, resource policy and tags; env vars → findings."""
    lam = clients.client("lambda", ctx.region)
    functions = paginate(lam, "list_functions", "Functions")

    def one(fn: dict[str, Any]) -> dict[str, Any]:
        name = fn["FunctionName"]
        env = (fn.pop("Environment", None) or {}).get("Variables")
        fn["EnvFindings"] = scan_environment(env)
        fn["UrlConfig"] = gaps.read(
            lambda: lam.get_function_url_config(FunctionName=name),
            what=f"URL of function {name}",
            absent=NOT_FOUND,
        )
        fn["Policy"] = gaps.read(
            lambda: lam.get_policy(FunctionName=name)["Policy"],
            what=f"policy of function {name}",
            absent=NOT_FOUND,
        )
        fn["Tags"] = gaps.read(
            lambda: lam.list_tags(Resource=fn["FunctionArn"]).get("Tags", {}),
            what=f"tags of function {name}",
        )
        return fn

    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda") as pool:
        return list(pool.map(one, functions))


def transform_functions(functions: list[Mapping[str, Any]], ctx: Ctx) -> Partial:
    """Functions → ``function`` nodes; ``runs_as`` role, VPC edges, env-var secrets."""
    part = Partial()
    for fn in functions:
        arn = fn["FunctionArn"]
        name = fn["FunctionName"]
        url = fn.get("UrlConfig", MISSING)
        props: dict[str, Any] = {
            "account": ctx.account,
            "native_id": name,
            "runtime": fn.get("Runtime") or fn.get("PackageType"),
            "role": fn.get("Role"),
            "handler": fn.get("Handler"),
            "last_modified": iso(fn.get("LastModified")),
        }
        if url is MISSING:
            known(props, "url_auth", MISSING)
            known(props, "url", MISSING)
        else:
            props["url_auth"] = url.get("AuthType") if url else None
            props["url"] = url.get("FunctionUrl") if url else None
        attach_resource_policy(part, props, arn, fn.get("Policy", MISSING))
        fn_tags = fn.get("Tags", MISSING)
        known(props, "tags", MISSING if fn_tags is MISSING else dict(fn_tags or {}))
        findings = fn.get("EnvFindings") or []
        props["env_findings"] = findings
        for finding in findings:
            secret_id = f"{arn}#secret/{finding['hash_prefix']}"
            part.nodes.append(
                node(
                    secret_id,
                    NodeKind.SECRET,
                    f"{finding['type']} in {name} environment",
                    ctx.region,
                    {"account": ctx.account, "embedded": True, "finding": finding},
                )
            )
            part.edges.append(Edge(arn, secret_id, EdgeKind.CONTAINS))
        part.nodes.append(node(arn, NodeKind.FUNCTION, name, ctx.region, props))
        if fn.get("Role"):
            part.edges.append(Edge(arn, fn["Role"], EdgeKind.RUNS_AS, {"via": "execution_role"}))
        vpc = fn.get("VpcConfig") or {}
        for subnet in vpc.get("SubnetIds") or []:
            part.edges.append(Edge(arn, ctx.ec2_arn("subnet", subnet), EdgeKind.IN_SUBNET))
        for group in vpc.get("SecurityGroupIds") or []:
            part.edges.append(
                Edge(arn, ctx.ec2_arn("security-group", group), EdgeKind.PROTECTED_BY)
            )
        if fn.get("KMSKeyArn"):
            part.edges.append(Edge(arn, key_ref(fn["KMSKeyArn"], ctx), EdgeKind.ENCRYPTED_BY))
    return part
