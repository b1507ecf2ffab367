"""Server-side printing: meta.k8s.io/v1 Tables as kube-apiserver v1.24 builds them.

Column definitions come from the recorded Tables where one was recorded; the printers
(cell values) follow kubernetes/pkg/printers/internalversion/printers.go.
"""

from __future__ import annotations

import time

from . import recorded
from .kinds import human_duration, parse_ts, ts

NAME_DESC = (
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: http://kubernetes.io/docs/user-guide/"
    "identifiers#names"
)
AGE_DESC = (
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/"
    "community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)


def _col(name, desc="", priority=0, type_="string", fmt=""):
    return {"name": name, "type": type_, "format": fmt, "description": desc, "priority": priority}


NAME_COL = _col("Name", NAME_DESC, fmt="name")
AGE_COL = _col("Age", AGE_DESC)

# hand-written: no recording (columns as in pkg/printers/internalversion/printers.go v1.24)
HAND_WRITTEN_COLUMNS = {
    "secrets": [
        NAME_COL,
        _col(
            "Type",
            "Used to facilitate programmatic handling of secret data. "
            "More info: https://kubernetes.io/docs/concepts/configuration/"
            "secret/#secret-types",
        ),
        _col("Data", "Data contains the secret data."),
        AGE_COL,
    ],
    "configmaps": [NAME_COL, _col("Data", "Data contains the configuration data."), AGE_COL],
    "endpoints": [
        NAME_COL,
        _col("Endpoints", "The set of all endpoints is the union of all subsets."),
        AGE_COL,
    ],
    "events": [
        _col(
            "Last Seen", "The time at which the most recent occurrence of this event was recorded."
        ),
        _col(
            "Type", "Type of this event (Normal, Warning), new types could be added in the future"
        ),
        _col(
            "Reason",
            "This should be a short, machine understandable string that gives the "
            "reason for the transition into the object's current status.",
        ),
        _col("Object", "The object that this event is about."),
        _col(
            "Subobject",
            "If referring to a piece of an object instead of an entire object, "
            "this string should contain a valid JSON/Go field access statement.",
            1,
        ),
        _col(
            "Source",
            "The component reporting this event. Should be a short machine understandable string.",
            1,
        ),
        _col("Message", "A human-readable description of the status of this operation."),
        _col(
            "First Seen",
            "The time at which the event was first recorded. (Time of server "
            "receipt is in TypeMeta.)",
            1,
        ),
        _col("Count", "The number of times this event has occurred.", 1),
        _col("Name", NAME_DESC, 1, fmt="name"),
    ],
    "serviceaccounts": [
        NAME_COL,
        _col(
            "Secrets",
            "Secrets is a list of the secrets in the same "
            "namespace that pods running using this ServiceAccount "
            "are allowed to use.",
        ),
        AGE_COL,
    ],
    "leases": [
        NAME_COL,
        _col("Holder", "holderIdentity contains the identity of the holder of a current lease."),
        AGE_COL,
    ],
    "endpointslices": [
        NAME_COL,
        _col(
            "AddressType",
            "addressType specifies the type of address carried by this EndpointSlice.",
        ),
        _col(
            "Ports",
            "ports specifies the list of network ports exposed by each endpoint in this slice.",
        ),
        _col("Endpoints", "endpoints is a list of unique endpoints in this slice."),
        AGE_COL,
    ],
    "resourcequotas": [
        NAME_COL,
        AGE_COL,
        _col(
            "Request",
            "Request represents a minimum amount of cpu/memory that a container may consume.",
        ),
        _col(
            "Limit",
            "Limits control the maximum amount of cpu/memory that a "
            "container may use independent of contention on the node.",
        ),
    ],
    "limitranges": [NAME_COL, _col("Created At", AGE_DESC, type_="date")],
}
GENERIC_COLUMNS = [NAME_COL, AGE_COL]  # hand-written: no recording


def columns_for(resource: str) -> list[dict]:
    return (
        recorded.table_columns().get(resource)
        or HAND_WRITTEN_COLUMNS.get(resource)
        or GENERIC_COLUMNS
    )


def age(obj: dict, now: float | None = None) -> str:
    created = parse_ts((obj.get("metadata") or {}).get("creationTimestamp"))
    if created is None:
        return "<unknown>"
    return human_duration((now or time.time()) - created)


def _since(stamp: str | None, now: float) -> str:
    t = parse_ts(stamp)
    return "<unknown>" if t is None else human_duration(now - t)


def format_label_selector(sel: dict | None) -> str:
    if not sel:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        op = e.get("operator")
        vals = ",".join(sorted(e.get("values") or []))
        if op == "In":
            parts.append(f"{e['key']} in ({vals})")
        elif op == "NotIn":
            parts.append(f"{e['key']} notin ({vals})")
        elif op == "Exists":
            parts.append(e["key"])
        elif op == "DoesNotExist":
            parts.append(f"!{e['key']}")
    return ",".join(parts) if parts else "<none>"


def format_labels(labels: dict | None) -> str:
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _containers_images(tmpl_spec: dict) -> list[str]:
    cs = tmpl_spec.get("containers") or []
    return [",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)]


def _pod_cells(o, now):
    spec, st = o.get("spec") or {}, o.get("status") or {}
    restarts, ready = 0, 0
    total = len(spec.get("containers") or [])
    reason = st.get("reason") or st.get("phase") or ""
    last_restart = None
    for c in reversed(st.get("containerStatuses") or []):
        restarts += c.get("restartCount", 0)
        term = (c.get("lastState") or {}).get("terminated") or {}
        if term.get("finishedAt"):
            t = parse_ts(term["finishedAt"])
            last_restart = max(last_restart or t, t)
        state = c.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif (state.get("terminated") or {}).get("reason"):
            reason = state["terminated"]["reason"]
        elif "terminated" in state:
            t = state["terminated"]
            reason = (
                f"Signal:{t['signal']}" if t.get("signal") else f"ExitCode:{t.get('exitCode', 0)}"
            )
        elif c.get("ready") and "running" in state:
            ready += 1
    if (o.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    restarts_s = str(restarts)
    if last_restart:
        restarts_s = f"{restarts} ({human_duration(now - last_restart)} ago)"
    ips = st.get("podIPs") or []
    gates = spec.get("readinessGates") or []
    gate_s = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
        ok = sum(1 for g in gates if conds.get(g.get("conditionType")) == "True")
        gate_s = f"{ok}/{len(gates)}"
    return [
        o["metadata"]["name"],
        f"{ready}/{total}",
        reason,
        restarts_s,
        age(o, now),
        (ips[0].get("ip") if ips else "") or "<none>",
        spec.get("nodeName") or "<none>",
        st.get("nominatedNodeName") or "<none>",
        gate_s,
    ]


def _node_cells(o, now):
    st = o.get("status") or {}
    conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
    status = []
    if "Ready" in conds:
        status.append("Ready" if conds["Ready"] == "True" else "NotReady")
    if not status:
        status.append("Unknown")
    if (o.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    roles = set()
    for k, v in ((o.get("metadata") or {}).get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            roles.add(k[len("node-role.kubernetes.io/") :])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    addrs = {a.get("type"): a.get("address") for a in reversed(st.get("addresses") or [])}
    info = st.get("nodeInfo") or {}
    return [
        o["metadata"]["name"],
        ",".join(status),
        ",".join(sorted(roles)) or "<none>",
        age(o, now),
        info.get("kubeletVersion", ""),
        addrs.get("InternalIP") or "<none>",
        addrs.get("ExternalIP") or "<none>",
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _service_cells(o, now):
    spec = o.get("spec") or {}
    typ = spec.get("type", "ClusterIP")
    ext = spec.get("externalIPs") or []
    if typ == "LoadBalancer":
        lb = [
            i.get("ip") or i.get("hostname")
            for i in ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        ]
        external = ",".join(lb + ext) or "<pending>"
    elif typ == "ExternalName":
        external = spec.get("externalName") or "<none>"
    else:
        external = ",".join(ext) or "<none>"
    ports = []
    for p in spec.get("ports") or []:
        proto = p.get("protocol", "TCP")
        if p.get("nodePort"):
            ports.append(f"{p['port']}:{p['nodePort']}/{proto}")
        else:
            ports.append(f"{p.get('port')}/{proto}")
    return [
        o["metadata"]["name"],
        typ,
        spec.get("clusterIP") or "<none>",
        external,
        ",".join(ports) or "<none>",
        age(o, now),
        format_labels(spec.get("selector")),
    ]


def _endpoints_string(o) -> str:
    eps = []
    for ss in o.get("subsets") or []:
        ports = ss.get("ports") or [{}]
        for a in ss.get("addresses") or []:
            for p in ports:
                eps.append(f"{a['ip']}:{p['port']}" if p.get("port") else a["ip"])
    if not eps:
        return "<none>"
    if len(eps) > 3:
        return ",".join(eps[:3]) + f" + {len(eps) - 3} more..."
    return ",".join(eps)


def _event_cells(o, now):
    src = o.get("source") or {}
    component = src.get("component") or o.get("reportingComponent") or ""
    host = src.get("host") or o.get("reportingInstance") or ""
    if o.get("reportingComponent") and not src.get("component"):
        source = component
    else:
        source = f"{component}, {host}" if host else component
    first = _since(o.get("firstTimestamp"), now)
    if not o.get("firstTimestamp"):
        first = _since(o.get("eventTime"), now)
    last = _since(o.get("lastTimestamp"), now) if o.get("lastTimestamp") else first
    count = o.get("count") or 1
    inv = o.get("involvedObject") or {}
    return [
        last,
        o.get("type", ""),
        o.get("reason", ""),
        f"{(inv.get('kind') or '').lower()}/{inv.get('name', '')}",
        inv.get("fieldPath", ""),
        source or "<none>",
        o.get("message", ""),
        first,
        count,
        o["metadata"]["name"],
    ]


def cells(resource: str, o: dict, now: float | None = None) -> list:
    now = now or time.time()
    md = o.get("metadata") or {}
    spec, st = o.get("spec") or {}, o.get("status") or {}
    name = md.get("name")
    if resource == "pods":
        return _pod_cells(o, now)
    if resource == "nodes":
        return _node_cells(o, now)
    if resource == "namespaces":
        return [name, st.get("phase", ""), age(o, now)]
    if resource in ("replicasets", "replicationcontrollers"):
        tmpl = (spec.get("template") or {}).get("spec") or {}
        sel = spec.get("selector")
        sel_s = format_label_selector(sel) if resource == "replicasets" else format_labels(sel)
        return [
            name,
            spec.get("replicas", 1),
            st.get("replicas", 0),
            st.get("readyReplicas", 0),
            age(o, now),
            *_containers_images(tmpl),
            sel_s,
        ]
    if resource == "deployments":
        tmpl = (spec.get("template") or {}).get("spec") or {}
        return [
            name,
            f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            st.get("updatedReplicas", 0),
            st.get("availableReplicas", 0),
            age(o, now),
            *_containers_images(tmpl),
            format_label_selector(spec.get("selector")),
        ]
    if resource == "daemonsets":
        tmpl = (spec.get("template") or {}).get("spec") or {}
        return [
            name,
            st.get("desiredNumberScheduled", 0),
            st.get("currentNumberScheduled", 0),
            st.get("numberReady", 0),
            st.get("updatedNumberScheduled", 0),
            st.get("numberAvailable", 0),
            format_labels(tmpl.get("nodeSelector")),
            age(o, now),
            *_containers_images(tmpl),
            format_label_selector(spec.get("selector")),
        ]
    if resource == "statefulsets":
        tmpl = (spec.get("template") or {}).get("spec") or {}
        return [
            name,
            f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            age(o, now),
            *_containers_images(tmpl),
        ]
    if resource == "jobs":
        tmpl = (spec.get("template") or {}).get("spec") or {}
        comp = f"{st.get('succeeded', 0)}/{spec.get('completions', 1)}"
        start, end = parse_ts(st.get("startTime")), parse_ts(st.get("completionTime"))
        duration = "" if start is None else human_duration((end or now) - start)
        return [
            name,
            comp,
            duration,
            age(o, now),
            *_containers_images(tmpl),
            format_label_selector(spec.get("selector")),
        ]
    if resource == "cronjobs":
        tmpl = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        last = st.get("lastScheduleTime")
        return [
            name,
            spec.get("schedule", ""),
            bool(spec.get("suspend", False)),
            len(st.get("active") or []),
            _since(last, now) if last else "<none>",
            age(o, now),
            *_containers_images(tmpl.get("spec") or {}),
            "<none>",
        ]
    if resource == "horizontalpodautoscalers":
        ref = spec.get("scaleTargetRef") or {}
        return [
            name,
            f"{ref.get('kind')}/{ref.get('name')}",
            "<unknown>",
            str(spec.get("minReplicas", 1)),
            str(spec.get("maxReplicas", 0)),
            str(st.get("currentReplicas", 0)),
            age(o, now),
        ]
    if resource == "services":
        return _service_cells(o, now)
    if resource == "secrets":
        return [name, o.get("type", ""), len(o.get("data") or {}), age(o, now)]
    if resource == "configmaps":
        return [name, len(o.get("data") or {}) + len(o.get("binaryData") or {}), age(o, now)]
    if resource == "endpoints":
        return [name, _endpoints_string(o), age(o, now)]
    if resource == "events":
        return _event_cells(o, now)
    if resource == "serviceaccounts":
        return [name, len(o.get("secrets") or []), age(o, now)]
    if resource == "leases":
        return [name, spec.get("holderIdentity") or "", age(o, now)]
    if resource == "endpointslices":
        ports = ",".join(str(p.get("port")) for p in o.get("ports") or []) or "<unset>"
        addrs = [a for e in o.get("endpoints") or [] for a in e.get("addresses") or []]
        eps = ",".join(addrs[:3]) + (f" + {len(addrs) - 3} more..." if len(addrs) > 3 else "")
        return [name, o.get("addressType", ""), ports, eps or "<unset>", age(o, now)]
    if resource == "resourcequotas":
        return [name, age(o, now), "", ""]
    if resource == "limitranges":
        return [name, ts(parse_ts(md.get("creationTimestamp")))]
    return [name, age(o, now)]


def table(
    resource: str,
    objs: list[dict],
    rv: str,
    include_object: str = "Metadata",
    with_columns: bool = True,
) -> dict:
    now = time.time()
    rows = []
    for o in objs:
        row = {"cells": cells(resource, o, now)}
        phase = (o.get("status") or {}).get("phase")
        if resource == "pods" and phase in ("Succeeded", "Failed"):
            row["conditions"] = [
                {"type": "Completed", "status": "True", "reason": "", "message": ""}
            ]
        if include_object == "Object":
            row["object"] = o
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": o.get("metadata") or {},
            }
        rows.append(row)
    out = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv}}
    if with_columns:
        out["columnDefinitions"] = columns_for(resource)
    out["rows"] = rows
    return out
