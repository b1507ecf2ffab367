"""Decoding of the protobuf request bodies kubectl sends.

kubectl's typed clients (``kubectl create namespace|deployment|secret|configmap|service|
serviceaccount|job|cronjob``) POST ``application/vnd.kubernetes.protobuf`` and do not fall
back to JSON on 415, so the stand-in decodes those kinds. Field numbers follow the
``generated.proto`` files of k8s.io/api (checked against the recorded protobuf responses);
kinds not listed here are answered 415 Unsupported Media Type.
"""

from __future__ import annotations

import base64
import time

MAGIC = b"k8s\x00"


class Unsupported(Exception):
    pass


# field number -> (json name, type, flags). Types: scalar names, "map" (string->string),
# "mapbytes", "mapqty" (string->Quantity), "time", "ios" (IntOrString), "qty" (Quantity)
# or a message name. Flags: "rep" repeated, "ptr" keep zero values, "inline".
S = {
    "ObjectMeta": {
        1: ("name", "string"),
        2: ("generateName", "string"),
        3: ("namespace", "string"),
        5: ("uid", "string"),
        6: ("resourceVersion", "string"),
        7: ("generation", "int"),
        11: ("labels", "map"),
        12: ("annotations", "map"),
        13: ("ownerReferences", "OwnerReference", "rep"),
        14: ("finalizers", "string", "rep"),
    },
    "OwnerReference": {
        1: ("kind", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("controller", "bool", "ptr"),
        7: ("blockOwnerDeletion", "bool", "ptr"),
    },
    "LabelSelector": {
        1: ("matchLabels", "map"),
        2: ("matchExpressions", "LabelSelectorRequirement", "rep"),
    },
    "LabelSelectorRequirement": {
        1: ("key", "string"),
        2: ("operator", "string"),
        3: ("values", "string", "rep"),
    },
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", "string", "rep")},
    "Secret": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "mapbytes"),
        3: ("type", "string"),
        4: ("stringData", "map"),
        5: ("immutable", "bool", "ptr"),
    },
    "ConfigMap": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "map"),
        3: ("binaryData", "mapbytes"),
        4: ("immutable", "bool", "ptr"),
    },
    "ServiceAccount": {
        1: ("metadata", "ObjectMeta"),
        2: ("secrets", "ObjectReference", "rep"),
        3: ("imagePullSecrets", "LocalObjectReference", "rep"),
        4: ("automountServiceAccountToken", "bool", "ptr"),
    },
    "ObjectReference": {
        1: ("kind", "string"),
        2: ("namespace", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("resourceVersion", "string"),
        7: ("fieldPath", "string"),
    },
    "LocalObjectReference": {1: ("name", "string")},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec")},
    "ServiceSpec": {
        1: ("ports", "ServicePort", "rep"),
        2: ("selector", "map"),
        3: ("clusterIP", "string"),
        4: ("type", "string"),
        5: ("externalIPs", "string", "rep"),
        7: ("sessionAffinity", "string"),
        8: ("loadBalancerIP", "string"),
        10: ("externalName", "string"),
        11: ("externalTrafficPolicy", "string"),
        17: ("ipFamilyPolicy", "string"),
        18: ("clusterIPs", "string", "rep"),
        19: ("ipFamilies", "string", "rep"),
        20: ("allocateLoadBalancerNodePorts", "bool", "ptr"),
        22: ("internalTrafficPolicy", "string"),
    },
    "ServicePort": {
        1: ("name", "string"),
        2: ("protocol", "string"),
        3: ("port", "int"),
        4: ("targetPort", "ios"),
        5: ("nodePort", "int"),
        6: ("appProtocol", "string"),
    },
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec")},
    "SelfSubjectAccessReview": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "SelfSubjectAccessReviewSpec"),
    },
    "SelfSubjectAccessReviewSpec": {
        1: ("resourceAttributes", "ResourceAttributes"),
        2: ("nonResourceAttributes", "NonResourceAttributes"),
    },
    "ResourceAttributes": {
        1: ("namespace", "string"),
        2: ("verb", "string"),
        3: ("group", "string"),
        4: ("version", "string"),
        5: ("resource", "string"),
        6: ("subresource", "string"),
        7: ("name", "string"),
    },
    "NonResourceAttributes": {1: ("path", "string"), 2: ("verb", "string")},
    "SelfSubjectRulesReview": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "SelfSubjectRulesReviewSpec"),
    },
    "SelfSubjectRulesReviewSpec": {1: ("namespace", "string")},
    "DeploymentSpec": {
        1: ("replicas", "int", "ptr"),
        2: ("selector", "LabelSelector"),
        3: ("template", "PodTemplateSpec"),
        4: ("strategy", "DeploymentStrategy"),
        5: ("minReadySeconds", "int"),
        6: ("revisionHistoryLimit", "int", "ptr"),
        7: ("paused", "bool"),
        9: ("progressDeadlineSeconds", "int", "ptr"),
    },
    "DeploymentStrategy": {1: ("type", "string"), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "ios"), 2: ("maxSurge", "ios")},
    "Job": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    "JobSpec": {
        1: ("parallelism", "int", "ptr"),
        2: ("completions", "int", "ptr"),
        3: ("activeDeadlineSeconds", "int", "ptr"),
        4: ("selector", "LabelSelector"),
        5: ("manualSelector", "bool", "ptr"),
        6: ("template", "PodTemplateSpec"),
        7: ("backoffLimit", "int", "ptr"),
        8: ("ttlSecondsAfterFinished", "int", "ptr"),
        9: ("completionMode", "string"),
        10: ("suspend", "bool", "ptr"),
    },
    "CronJob": {1: ("metadata", "ObjectMeta"), 2: ("spec", "CronJobSpec")},
    "CronJobSpec": {
        1: ("schedule", "string"),
        2: ("startingDeadlineSeconds", "int", "ptr"),
        3: ("concurrencyPolicy", "string"),
        4: ("suspend", "bool", "ptr"),
        5: ("jobTemplate", "JobTemplateSpec"),
        6: ("successfulJobsHistoryLimit", "int", "ptr"),
        7: ("failedJobsHistoryLimit", "int", "ptr"),
        8: ("timeZone", "string"),
    },
    "JobTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {
        1: ("volumes", "Volume", "rep"),
        2: ("containers", "Container", "rep"),
        3: ("restartPolicy", "string"),
        4: ("terminationGracePeriodSeconds", "int", "ptr"),
        5: ("activeDeadlineSeconds", "int", "ptr"),
        6: ("dnsPolicy", "string"),
        7: ("nodeSelector", "map"),
        8: ("serviceAccountName", "string"),
        9: ("serviceAccount", "string"),
        10: ("nodeName", "string"),
        11: ("hostNetwork", "bool"),
        12: ("hostPID", "bool"),
        13: ("hostIPC", "bool"),
        15: ("imagePullSecrets", "LocalObjectReference", "rep"),
        16: ("hostname", "string"),
        17: ("subdomain", "string"),
        19: ("schedulerName", "string"),
        20: ("initContainers", "Container", "rep"),
        21: ("automountServiceAccountToken", "bool", "ptr"),
        24: ("priorityClassName", "string"),
        25: ("priority", "int", "ptr"),
        30: ("enableServiceLinks", "bool", "ptr"),
    },
    "Container": {
        1: ("name", "string"),
        2: ("image", "string"),
        3: ("command", "string", "rep"),
        4: ("args", "string", "rep"),
        5: ("workingDir", "string"),
        6: ("ports", "ContainerPort", "rep"),
        7: ("env", "EnvVar", "rep"),
        8: ("resources", "ResourceRequirements"),
        9: ("volumeMounts", "VolumeMount", "rep"),
        13: ("terminationMessagePath", "string"),
        14: ("imagePullPolicy", "string"),
        16: ("stdin", "bool"),
        17: ("stdinOnce", "bool"),
        18: ("tty", "bool"),
        20: ("terminationMessagePolicy", "string"),
    },
    "ContainerPort": {
        1: ("name", "string"),
        2: ("hostPort", "int"),
        3: ("containerPort", "int"),
        4: ("protocol", "string"),
        5: ("hostIP", "string"),
    },
    "EnvVar": {1: ("name", "string"), 2: ("value", "string")},
    "ResourceRequirements": {1: ("limits", "mapqty"), 2: ("requests", "mapqty")},
    "VolumeMount": {
        1: ("name", "string"),
        2: ("readOnly", "bool"),
        3: ("mountPath", "string"),
        4: ("subPath", "string"),
    },
    "Volume": {1: ("name", "string"), 2: ("", "VolumeSource", "inline")},
    "VolumeSource": {
        1: ("hostPath", "HostPathVolumeSource"),
        2: ("emptyDir", "EmptyDir"),
        6: ("secret", "SecretVolumeSource"),
        19: ("configMap", "ConfigMapVolumeSource"),
    },
    "HostPathVolumeSource": {1: ("path", "string"), 2: ("type", "string", "ptr")},
    "EmptyDir": {1: ("medium", "string")},
    "SecretVolumeSource": {1: ("secretName", "string"), 3: ("defaultMode", "int", "ptr")},
    "ConfigMapVolumeSource": {1: ("name", "string"), 3: ("defaultMode", "int", "ptr")},
}
KINDS = {
    "Namespace",
    "Secret",
    "ConfigMap",
    "ServiceAccount",
    "Service",
    "Deployment",
    "Job",
    "CronJob",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
}


def _varint(b: bytes, i: int) -> tuple[int, int]:
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def _fields(b: bytes):
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(b, i)
        elif wire == 2:
            n, i = _varint(b, i)
            v, i = b[i : i + n], i + n
        elif wire == 1:
            v, i = b[i : i + 8], i + 8
        elif wire == 5:
            v, i = b[i : i + 4], i + 4
        else:
            raise Unsupported(f"wire type {wire}")
        yield num, v


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _map_entry(b: bytes) -> tuple[str, bytes]:
    key, val = "", b""
    for n, v in _fields(b):
        if n == 1:
            key = v.decode()
        elif n == 2:
            val = v
    return key, val


def _time(b: bytes):
    secs = 0
    for n, v in _fields(b):
        if n == 1:
            secs = _signed(v)
    if not secs:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(secs))


def _value(typ: str, raw):
    if typ == "string":
        return raw.decode()
    if typ == "int":
        return _signed(raw)
    if typ == "bool":
        return bool(raw)
    if typ == "time":
        return _time(raw)
    if typ == "qty":
        return next((v.decode() for n, v in _fields(raw) if n == 1), "")
    if typ == "ios":
        kind, ival, sval = 0, 0, ""
        for n, v in _fields(raw):
            if n == 1:
                kind = v
            elif n == 2:
                ival = _signed(v)
            elif n == 3:
                sval = v.decode()
        return sval if kind == 1 else ival
    return _message(typ, raw)


def _message(name: str, b: bytes) -> dict:
    schema = S[name]
    out: dict = {}
    for num, raw in _fields(b):
        spec = schema.get(num)
        if spec is None:
            continue
        fname, typ = spec[0], spec[1]
        flags = spec[2:]
        if typ in ("map", "mapbytes", "mapqty"):
            k, v = _map_entry(raw)
            if typ == "map":
                val = v.decode()
            elif typ == "mapbytes":
                val = base64.b64encode(v).decode()
            else:
                val = _value("qty", v)
            out.setdefault(fname, {})[k] = val
            continue
        val = _value(typ, raw)
        if "inline" in flags:
            out.update(val)
            continue
        if "rep" in flags:
            out.setdefault(fname, []).append(val)
            continue
        if "ptr" not in flags and val in ("", 0, False, None) and not isinstance(val, dict):
            continue
        out[fname] = val
    return out


def decode(body: bytes, kind: str) -> dict:
    """An ``application/vnd.kubernetes.protobuf`` body as the equivalent JSON object."""
    if not body.startswith(MAGIC):
        raise Unsupported("missing k8s protobuf magic")
    api_version, obj_kind, raw = "", "", b""
    for num, v in _fields(body[len(MAGIC) :]):
        if num == 1:
            for n, tv in _fields(v):
                if n == 1:
                    api_version = tv.decode()
                elif n == 2:
                    obj_kind = tv.decode()
        elif num == 2:
            raw = v
    obj_kind = obj_kind or kind
    if obj_kind not in KINDS:
        raise Unsupported(obj_kind)
    obj = {"apiVersion": api_version, "kind": obj_kind}
    obj.update(_message(obj_kind, raw))
    return obj
