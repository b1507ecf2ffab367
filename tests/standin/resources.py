"""What the recorded API server declares: its resources (from the recorded discovery), its
version info, and the Status errors it answers with."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import recorded
from .validation import Invalid


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict:
        out = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            out["details"] = self.details
        out["code"] = self.code
        return out


@dataclass(frozen=True)
class Res:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple
    subresources: frozenset = field(default_factory=frozenset)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:  # "deployments.apps", "pods"
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def store_key(self) -> tuple[str, str]:
        if self.plural == "events" and self.group == "events.k8s.io":
            return ("", "events")
        return (self.group, self.plural)


def _object_error(code: int, reason: str, res: Res, name: str, what: str) -> ApiError:
    """A Status about one object, its details keyed as the API server orders them."""
    details = {"name": name}
    if res.group:
        details["group"] = res.group
    details["kind"] = res.plural
    return ApiError(code, reason, f'{res.qualified} "{name}" {what}', details)


def not_found(res: Res, name: str) -> ApiError:
    return _object_error(404, "NotFound", res, name, "not found")


def already_exists(res: Res, name: str) -> ApiError:
    return _object_error(409, "AlreadyExists", res, name, "already exists")


def invalid(err: Invalid) -> ApiError:
    causes = [{"reason": r, "message": m, "field": f} for r, m, f in err.causes]
    msg = ", ".join(f"{f}: {m}" for _, m, f in err.causes)
    if len(causes) > 1:
        msg = "[" + msg + "]"
    details = {"name": err.name}
    if err.group:
        details["group"] = err.group
    details["kind"] = err.kind
    details["causes"] = causes
    return ApiError(
        422,
        "Invalid",
        f'{err.kind}{"." + err.group if err.group else ""} "{err.name}" is invalid: {msg}',
        details,
    )


def method_not_allowed() -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        {},
    )


def build_registry() -> dict[tuple[str, str, str], Res]:
    reg: dict[tuple[str, str, str], Res] = {}
    for gv, doc in recorded.resource_lists().items():
        group, _, version = gv.rpartition("/")
        subs: dict[str, set] = {}
        for r in doc["resources"]:
            if "/" in r["name"]:
                base, sub = r["name"].split("/", 1)
                subs.setdefault(base, set()).add(sub)
        for r in doc["resources"]:
            if "/" in r["name"]:
                continue
            reg[(group, version, r["name"])] = Res(
                group,
                version,
                r["name"],
                r["kind"],
                r["namespaced"],
                tuple(r.get("verbs") or ()),
                frozenset(subs.get(r["name"], ())),
            )
    return reg


def preferred_versions() -> dict[str, str]:
    doc = json.loads(recorded.discovery()["/apis"])
    out = {"": "v1"}
    for g in doc["groups"]:
        out[g["name"]] = g["preferredVersion"]["version"]
    return out


KNOWN_VERSIONS = {
    # hand-written: no recording (values of the official release builds)
    "v1.24.0": ("4ce5a8954017644c5420bae81d72b09b735c21f0", "2022-05-03T13:38:19Z", "go1.18.1"),
    "v1.31.0": ("9edcffcde5595e8a5b1a35f88c421764e575afce", "2024-08-13T07:28:49Z", "go1.22.5"),
}


def version_info(v: str) -> dict:
    parts = v.lstrip("v").split(".")
    commit, built, go = KNOWN_VERSIONS.get(
        v, ("0" * 40, "2024-01-01T00:00:00Z", "go1.22.0")
    )  # hand-written: no recording
    return {
        "major": parts[0],
        "minor": parts[1] if len(parts) > 1 else "0",
        "gitVersion": v,
        "gitCommit": commit,
        "gitTreeState": "clean",
        "buildDate": built,
        "goVersion": go,
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def runtime_for(v: str) -> str:
    # hand-written: no recording. The container runtime minikube ships with that release.
    try:
        minor = int(v.lstrip("v").split(".")[1])
    except (IndexError, ValueError):
        return "containerd://1.6.20"
    if minor >= 30:
        return "containerd://1.7.20"
    if minor >= 27:
        return "containerd://1.7.2"
    return "containerd://1.6.20"
