"""The three patch formats kubectl sends: JSON merge patch (RFC 7386), JSON patch
(RFC 6902) and Kubernetes strategic merge patch (as ``kubectl apply`` / ``set image``
build it, with ``$setElementOrder``, ``$patch`` and ``$retainKeys`` directives)."""

from __future__ import annotations

import copy

# list field name -> merge key, as declared by patchMergeKey in the Kubernetes types
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "env": "name",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "conditions": "type",
    "ownerReferences": "uid",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "secrets": "name",
    "readinessGates": "conditionType",
}
# primitive lists merged as sets
MERGE_PRIMITIVE_LISTS = {"finalizers"}


class PatchError(ValueError):
    pass


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts):
    for p in parts:
        if isinstance(doc, list):
            doc = doc[int(p)]
        elif isinstance(doc, dict):
            if p not in doc:
                raise PatchError(f"doc is missing path: /{'/'.join(parts)}")
            doc = doc[p]
        else:
            raise PatchError("invalid path")
    return doc


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    if not isinstance(ops, list):
        raise PatchError("json patch must be a list")
    for op in ops:
        kind = op.get("op")
        parts = _pointer(op.get("path", ""))
        if kind == "test":
            if _walk(doc, parts) != op.get("value"):
                raise PatchError("testing value failed")
            continue
        if kind in ("move", "copy"):
            value = copy.deepcopy(_walk(doc, _pointer(op["from"])))
            if kind == "move":
                doc = _remove(doc, _pointer(op["from"]))
            doc = _add(doc, parts, value)
        elif kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            doc = _remove(doc, parts)
        elif kind == "replace":
            if not parts:
                doc = copy.deepcopy(op.get("value"))
                continue
            parent = _walk(doc, parts[:-1])
            last = parts[-1]
            if isinstance(parent, list):
                parent[int(last)] = copy.deepcopy(op.get("value"))
            else:
                if last not in parent:
                    raise PatchError(
                        f"replace operation does not apply: doc is missing key: /{'/'.join(parts)}"
                    )
                parent[last] = copy.deepcopy(op.get("value"))
        else:
            raise PatchError(f"Unexpected kind: {kind}")
    return doc


def _add(doc, parts, value):
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            parent.insert(int(last), value)
    else:
        parent[last] = value
    return doc


def _remove(doc, parts):
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        del parent[int(last)]
    else:
        if last not in parent:
            raise PatchError(
                f"remove operation does not apply: doc is missing path: /{'/'.join(parts)}"
            )
        del parent[last]
    return doc


def _merge_key(field: str, items) -> str | None:
    if field == "ports":
        for it in items or []:
            if isinstance(it, dict):
                return "containerPort" if "containerPort" in it else "port"
        return "containerPort"
    return MERGE_KEYS.get(field)


def strategic_merge(target, patch):
    """Apply a strategic merge patch to ``target`` (not modified)."""
    return _smp_map(copy.deepcopy(target) if isinstance(target, dict) else {}, patch)


def _smp_map(original: dict, patch: dict) -> dict:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return {}
    retain = patch.get("$retainKeys")
    orders = {}
    deletes = {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
        elif k.startswith("$deleteFromPrimitiveList/"):
            deletes[k.split("/", 1)[1]] = v
    result = original
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if v is None:
            result.pop(k, None)
            continue
        cur = result.get(k)
        if isinstance(v, dict):
            result[k] = _smp_map(cur if isinstance(cur, dict) else {}, v)
        elif isinstance(v, list):
            result[k] = _smp_list(k, cur if isinstance(cur, list) else [], v)
        else:
            result[k] = copy.deepcopy(v)
    for k, vals in deletes.items():
        if isinstance(result.get(k), list):
            result[k] = [x for x in result[k] if x not in vals]
    for k, order in orders.items():
        if isinstance(result.get(k), list):
            result[k] = _apply_order(k, result[k], order)
    if retain is not None:
        for k in list(result):
            if k not in retain:
                del result[k]
    return result


def _smp_list(field: str, original: list, patch: list) -> list:
    if field in MERGE_PRIMITIVE_LISTS:
        out = list(original)
        for v in patch:
            if v not in out:
                out.append(v)
        return out
    key = _merge_key(field, patch + original)
    if not key or not all(isinstance(x, dict) for x in patch):
        # no merge strategy: the patch replaces the whole list
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and "$patch" in x)]
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and "$patch" in x)]
    out = [copy.deepcopy(x) for x in original]
    for item in patch:
        if item.get("$patch") == "delete":
            out = [x for x in out if x.get(key) != item.get(key)]
            continue
        for i, existing in enumerate(out):
            if isinstance(existing, dict) and existing.get(key) == item.get(key):
                out[i] = _smp_map(existing, item)
                break
        else:
            out.append(_smp_map({}, item))
    return out


def _apply_order(field: str, items: list, order: list) -> list:
    if not order:
        return items
    if not all(isinstance(x, dict) for x in order):
        ranked = {v: i for i, v in enumerate(order)}
        return sorted(items, key=lambda x: ranked.get(x, len(ranked)))
    key = _merge_key(field, order + items)
    if not key:
        return items
    ranked = {o.get(key): i for i, o in enumerate(order)}
    # items absent from the order keep their relative position after the ordered ones
    return sorted(items, key=lambda x: ranked.get(x.get(key), len(ranked)))
