"""The object store under the API: objects by resource with resourceVersions and a watch
log, the metadata the server sets (uid, generation, managedFields), Events, timers for the
control plane, and the reads (get, list, watch matching, the scale view)."""

from __future__ import annotations

import copy
import heapq
import itertools
import threading
import time

from . import controllers, kinds
from .controllers.lifecycle import garbage_collect
from .controllers.nodes import NODE
from .kinds import new_uid, rand_suffix, ts
from .resources import ApiError, Res, build_registry, not_found, preferred_versions
from .selectors import SelectorError, parse_field_selector, parse_label_selector


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.registry = build_registry()
        self.preferred = preferred_versions()
        self.by_kind: dict[tuple[str, str], Res] = {}
        for (group, version, _), res in self.registry.items():
            if self.preferred.get(group) == version:
                self.by_kind.setdefault((group, res.kind), res)
        self.rv = 1000
        self.data: dict[tuple[str, str], dict[tuple[str, str], dict]] = {}
        self.log: list[tuple[int, str, tuple[str, str], dict, dict | None]] = []
        self.log_base = 0  # absolute index of self.log[0]
        self.closed = False
        self._timers: list[tuple[float, int, object]] = []
        self._timer_seq = itertools.count()
        self._timer_wakeup = threading.Event()
        self._timer_thread = threading.Thread(
            target=self._timer_loop, daemon=True, name="standin-timers"
        )
        self._timer_thread.start()

    # --- registry -------------------------------------------------------------------------

    def resource(self, group: str, version: str, plural: str) -> Res | None:
        return self.registry.get((group, version, plural))

    def res_for_kind(self, group: str, kind: str) -> Res:
        return self.by_kind[(group, kind)]

    # --- low-level store ------------------------------------------------------------------

    def _bucket(self, key: tuple[str, str]) -> dict[tuple[str, str], dict]:
        return self.data.setdefault(key, {})

    def _next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def _record(self, etype: str, skey: tuple[str, str], obj: dict, old: dict | None):
        self.log.append((self.rv, etype, skey, obj, old))
        if len(self.log) > 20000:
            del self.log[:5000]
            self.log_base += 5000
        self.cond.notify_all()

    def put(self, skey: tuple[str, str], obj: dict, *, new: bool = False) -> dict:
        """Store ``obj`` (fully formed) with a fresh resourceVersion; returns a copy."""
        md = obj["metadata"]
        k = (md.get("namespace", ""), md["name"])
        bucket = self._bucket(skey)
        old = bucket.get(k)
        md["resourceVersion"] = self._next_rv()
        obj["metadata"] = kinds.order_metadata(md)
        bucket[k] = obj
        self._record("ADDED" if old is None or new else "MODIFIED", skey, obj, old)
        return copy.deepcopy(obj)

    def remove(self, skey: tuple[str, str], ns: str, name: str) -> dict | None:
        obj = self._bucket(skey).pop((ns, name), None)
        if obj is None:
            return None
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = self._next_rv()
        self._record("DELETED", skey, obj, None)
        garbage_collect(self, obj)
        return obj

    def get_obj(self, skey, ns, name) -> dict | None:
        return self._bucket(skey).get((ns or "", name))

    def objects(self, skey, ns: str | None = None) -> list[dict]:
        return [o for (ons, _), o in self._bucket(skey).items() if ns is None or ons == ns]

    # --- object construction ---------------------------------------------------------------

    def new_meta(
        self,
        md: dict,
        kind: str,
        manager: str | None,
        api_version: str,
        body_for_fields: dict | None = None,
        t: float | None = None,
    ) -> dict:
        md = dict(md)
        md["uid"] = new_uid()
        md["creationTimestamp"] = ts(t)
        if kind in kinds.GENERATION_KINDS:
            md["generation"] = 1
        if manager:
            md["managedFields"] = [
                self._managed_entry(manager, "Update", api_version, body_for_fields or {})
            ]
        return md

    def _managed_entry(self, manager, operation, api_version, body, subresource=None):
        entry = {
            "manager": manager,
            "operation": operation,
            "apiVersion": api_version,
            "time": ts(),
            "fieldsType": "FieldsV1",
            "fieldsV1": kinds.fields_v1(body),
        }
        if subresource:
            entry["subresource"] = subresource
        return entry

    def _touch_managed(self, obj, manager, api_version, body, subresource=None):
        if not manager:
            return
        mf = obj["metadata"].setdefault("managedFields", [])
        mf[:] = [
            m
            for m in mf
            if not (m.get("manager") == manager and m.get("subresource") == subresource)
        ]
        mf.append(self._managed_entry(manager, "Update", api_version, body, subresource))

    def system_create(
        self, res: Res, obj: dict, manager: str = "kube-controller-manager", t: float | None = None
    ) -> dict:
        """Create an object on behalf of a control-plane component (no admission errors)."""
        obj = copy.deepcopy(obj)
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        md = obj["metadata"]
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + rand_suffix()
        body = copy.deepcopy(obj)
        obj = kinds.apply_defaults(obj)
        if res.kind == "Pod":
            obj = kinds.admit_pod(obj)
        obj["metadata"] = self.new_meta(md, res.kind, manager, res.api_version, body, t)
        return self.put(res.store_key, self._ordered(obj))

    def _ordered(self, obj: dict) -> dict:
        order = ["kind", "apiVersion", "metadata", "spec", "status"]
        return kinds.in_order(obj, order)

    def event(
        self,
        involved: dict,
        reason: str,
        message: str,
        component: str,
        etype: str = "Normal",
        new_api: bool = False,
        host: str = "",
    ):
        """Record an Event about ``involved`` the way the component would.

        The scheduler's events have the recorded shape (events.k8s.io recorder); the
        controllers' (core/v1 recorder, reason and message texts from the v1.24 sources) are
        hand-written: no recording."""
        md = involved["metadata"]
        ns = md.get("namespace") or "default"
        now = time.time()
        name = f"{md['name']}.{int(now * 1e9):x}"[:253]
        ref = {
            "kind": involved["kind"],
            "namespace": md.get("namespace", ""),
            "name": md["name"],
            "uid": md["uid"],
            "apiVersion": involved["apiVersion"],
            "resourceVersion": md.get("resourceVersion", ""),
        }
        if not md.get("namespace"):
            ref.pop("namespace")
        ev = {
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
        }
        if new_api:  # events.k8s.io/v1 recorder (scheduler): eventTime, no counts
            ev["source"] = {}
            ev["firstTimestamp"] = None
            ev["lastTimestamp"] = None
            ev["type"] = etype
            ev["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + (
                f".{int((now % 1) * 1e6):06d}Z"
            )
            ev["action"] = "Binding"
            ev["reportingComponent"] = component
            ev["reportingInstance"] = f"{component}-{NODE}"
        else:
            ev["source"] = {"component": component, **({"host": host} if host else {})}
            ev["firstTimestamp"] = ts(now)
            ev["lastTimestamp"] = ts(now)
            ev["count"] = 1
            ev["type"] = etype
            ev["eventTime"] = None
            ev["reportingComponent"] = ""
            ev["reportingInstance"] = ""
        self.system_create(self.res_for_kind("", "Event"), ev, manager=None)

    # --- timers --------------------------------------------------------------------------

    def after(self, delay: float, fn) -> None:
        """Run ``fn`` (under the lock, followed by reconcile) ``delay`` seconds from now."""
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_seq), fn))
        self._timer_wakeup.set()

    def _timer_loop(self):
        while not self.closed:
            with self.lock:
                due = []
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    due.append(heapq.heappop(self._timers)[2])
                wait = (self._timers[0][0] - now) if self._timers else 1.0
                for fn in due:
                    try:
                        fn()
                    except Exception:  # noqa: BLE001 - keep the control plane alive
                        import traceback

                        traceback.print_exc()
                if due:
                    self.reconcile()
            self._timer_wakeup.wait(max(0.0, min(wait, 1.0)))
            self._timer_wakeup.clear()

    def close(self):
        self.closed = True
        self._timer_wakeup.set()
        with self.lock:
            self.cond.notify_all()

    # --- reads ---------------------------------------------------------------------------

    def output(self, res: Res, obj: dict) -> dict:
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = res.api_version
        if res.group == "events.k8s.io":
            obj = _core_event_to_new(obj, res.api_version)
        return obj

    def get(self, res: Res, ns: str, name: str) -> dict:
        with self.lock:
            obj = self.get_obj(res.store_key, ns if res.namespaced else "", name)
            if obj is None:
                raise not_found(res, name)
            return self.output(res, obj)

    def list(
        self,
        res: Res,
        ns: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[dict], str]:
        try:
            lmatch = parse_label_selector(label_selector)
            fmatch = parse_field_selector(field_selector, res.plural)
        except SelectorError as e:
            raise ApiError(400, "BadRequest", str(e)) from None
        with self.lock:
            items = [
                self.output(res, o)
                for o in self.objects(res.store_key, ns)
                if lmatch((o.get("metadata") or {}).get("labels")) and fmatch(o)
            ]
            return items, str(self.rv)

    def matcher(self, res: Res, ns: str | None, label_selector, field_selector):
        try:
            lmatch = parse_label_selector(label_selector)
            fmatch = parse_field_selector(field_selector, res.plural)
        except SelectorError as e:
            raise ApiError(400, "BadRequest", str(e)) from None

        def match(obj):
            if obj is None:
                return False
            md = obj.get("metadata") or {}
            if ns is not None and md.get("namespace", "") != ns:
                return False
            return lmatch(md.get("labels")) and fmatch(obj)

        return match

    def scale_of(self, res: Res, obj: dict) -> dict:
        md = obj["metadata"]
        sel = (obj.get("spec") or {}).get("selector") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                "name": md["name"],
                "namespace": md.get("namespace"),
                "uid": md["uid"],
                "resourceVersion": md["resourceVersion"],
                "creationTimestamp": md["creationTimestamp"],
            },
            "spec": {"replicas": obj["spec"].get("replicas", 0)},
            "status": {
                "replicas": (obj.get("status") or {}).get("replicas", 0),
                "selector": ",".join(
                    f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())
                ),
            },
        }

    # --- the simulated control plane (controllers/) -------------------------------------

    def reconcile(self):
        """Run every controller until nothing changes (called with the lock held)."""
        controllers.reconcile(self)


def _core_event_to_new(ev: dict, api_version: str) -> dict:
    """core/v1 Event -> events.k8s.io/v1 Event (the server converts on read)."""
    out = {
        "kind": "Event",
        "apiVersion": api_version,
        "metadata": ev["metadata"],
        "eventTime": ev.get("eventTime"),
        "reportingController": ev.get("reportingComponent")
        or (ev.get("source") or {}).get("component", ""),
        "reportingInstance": ev.get("reportingInstance")
        or (ev.get("source") or {}).get("host", ""),
        "action": ev.get("action", ""),
        "reason": ev.get("reason"),
        "regarding": ev.get("involvedObject"),
        "note": ev.get("message"),
        "type": ev.get("type"),
    }
    if ev.get("source", {}).get("component"):
        out["deprecatedSource"] = ev["source"]
    if ev.get("firstTimestamp"):
        out["deprecatedFirstTimestamp"] = ev["firstTimestamp"]
        out["deprecatedLastTimestamp"] = ev.get("lastTimestamp")
        out["deprecatedCount"] = ev.get("count", 1)
    return out
