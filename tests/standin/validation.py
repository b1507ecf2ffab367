"""Validation of built-in types as a v1.24 kube-apiserver answers it (422 Invalid, with
the same causes and messages): names, containers, selectors, service ports."""

from __future__ import annotations

import re

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAMED = {"Namespace", "Service"}  # kinds whose names are DNS labels, not subdomains


class Invalid(Exception):
    """422: a field failed validation. ``causes`` are (reason, message, field)."""

    def __init__(self, kind: str, name: str, causes: list[tuple[str, str, str]], group: str = ""):
        super().__init__(kind)
        self.kind, self.name, self.causes, self.group = kind, name, causes, group


def _name_causes(kind: str, md: dict) -> list[tuple[str, str, str]]:
    name = md.get("name")
    if not name:
        if md.get("generateName"):
            return []
        return [
            (
                "FieldValueRequired",
                "Required value: name or generateName is required",
                "metadata.name",
            )
        ]
    if kind in LABEL_NAMED:
        if len(name) > 63 or not DNS1123_LABEL.match(name):
            return [
                (
                    "FieldValueInvalid",
                    f'Invalid value: "{name}": a lowercase RFC 1123 label must consist of '
                    "lower "
                    "case alphanumeric characters or '-', and must start and end with an "
                    "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                    "metadata.name",
                )
            ]
    elif len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
        return [
            (
                "FieldValueInvalid",
                f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of '
                "lower "
                "case alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character (e.g. 'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                "metadata.name",
            )
        ]
    return []


def _container_causes(spec: dict, prefix: str) -> list[tuple[str, str, str]]:
    causes = []
    containers = spec.get("containers")
    if not containers:
        return [("FieldValueRequired", "Required value", f"{prefix}.containers")]
    for i, c in enumerate(containers):
        if not c.get("name"):
            causes.append(
                ("FieldValueRequired", "Required value", f"{prefix}.containers[{i}].name")
            )
        if not c.get("image"):
            causes.append(
                ("FieldValueRequired", "Required value", f"{prefix}.containers[{i}].image")
            )
    return causes


def validate(obj: dict) -> None:
    kind = obj.get("kind", "")
    md = obj.get("metadata") or {}
    group = obj.get("apiVersion", "v1").rpartition("/")[0]
    causes = _name_causes(kind, md)
    spec = obj.get("spec") or {}
    if kind == "Pod":
        causes += _container_causes(spec, "spec")
    elif kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
        tmpl = spec.get("template") or {}
        causes += _container_causes(tmpl.get("spec") or {}, "spec.template.spec")
        sel = (spec.get("selector") or {}).get("matchLabels")
        if not spec.get("selector"):
            causes.append(("FieldValueRequired", "Required value", "spec.selector"))
        labels = (tmpl.get("metadata") or {}).get("labels") or {}
        if sel and any(labels.get(k) != v for k, v in sel.items()):
            shown = ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items()))
            causes.append(
                (
                    "FieldValueInvalid",
                    f"Invalid value: map[string]string{{{shown}}}: `selector` does not "
                    "match template `labels`",
                    "spec.template.metadata.labels",
                )
            )
    elif kind == "Service":
        for i, p in enumerate(spec.get("ports") or []):
            if not p.get("port"):
                causes.append(("FieldValueRequired", "Required value", f"spec.ports[{i}].port"))
    if causes:
        raise Invalid(kind, md.get("name") or md.get("generateName") or "", causes, group)
