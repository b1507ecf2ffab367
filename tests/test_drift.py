"""drift.py against real kubectl output.

Fixtures (tests/data/drift/, made by extract.py there, read by outputs.py there with the
test-side tools): every output recorded from a real Kubernetes v1.24.0 server, the outputs
pasted in the original notes (minikube v1.22.2), and `-o wide` tables rendered from the
recorded server Tables.

Where a test needs "the same output at another time", it derives it from a real output by
a transformation written out in the test (new AGE values, new generated suffixes, new IPs,
new timestamps) and never touches anything else. `perturb_volatile` does that thoroughly,
at random, for every recorded output: the result must never be "changed".
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from data.drift.outputs import (
    ALL_OUTPUTS,
    RECORDINGS,
    SEED,
    WIDE,
    edit_table,
    perturb_volatile,
    recorded,
    section,
    set_column,
)
from kubecapture.base.snippets import parse_page
from kubecapture.captures.store import CommandResult, PageCapture, Provenance, SnippetCapture
from kubecapture.drift import reportfile, reportpage
from kubecapture.drift.drift import compare, compare_results
from kubecapture.drift.driftreport import DriftReport, build_report, compare_page, page_pairs
from kubecapture.drift.normalize import normalize

# ---------------------------------------------------------------------------------------
# The key guarantee: no false "changed"


@pytest.mark.parametrize("seed", range(6))
def test_rerandomized_volatile_content_is_never_changed(seed):
    perturbed = 0
    for command, stdout, stderr, code in ALL_OUTPUTS:
        old = CommandResult(command, code, stdout, stderr)
        new = CommandResult(
            command,
            code,
            perturb_volatile(command, stdout, seed),
            perturb_volatile(command, stderr, seed),
        )
        result = compare_results([old], [new])
        assert result.status in ("unchanged", "volatile"), (command, result.changes, result.diff)
        perturbed += new != old
    # It bites: every output with volatile content differs in its raw text (24 of 51; the
    # rest are messages, errors and static tables such as api-resources).
    assert perturbed == 24


def test_perturbation_keeps_substance_detectable():
    """The same perturbation plus one real change (a new server version) is "changed"."""
    with_version = [(c, out) for c, out, _, _ in ALL_OUTPUTS if "v1.24.0" in out]
    assert len(with_version) == 5
    for command, stdout in with_version:
        new = perturb_volatile(command, stdout, 7).replace("v1.24.0", "v1.31.0")
        result = compare(command, stdout, new)
        assert result.status == "changed", command
        assert any("v1.24.0 → v1.31.0" in c for c in result.changes), (command, result.changes)


def test_perturbation_changes_what_it_should():
    node = perturb_volatile("kubectl get node", recorded("kubectl get node"), 1)
    assert "16m" not in node and "v1.24.0" in node and "control-plane" in node
    pods = perturb_volatile("kubectl get all", recorded("kubectl get all -n notes-sandbox"), 1)
    assert "fgf9j" not in pods and "7899ff8f4d" not in pods and "10.0.80.105" not in pods


# ---------------------------------------------------------------------------------------
# The same command at two times: "volatile"


def test_node_table_at_another_age_is_volatile():
    later = set_column(SEED["kubectl get node"], "AGE", "52d")  # was 7m21s
    assert later != SEED["kubectl get node"]
    result = compare("kubectl get node", SEED["kubectl get node"], later)
    assert (result.status, result.changes, result.diff) == ("volatile", [], [])


def test_kube_system_pods_at_two_ages_are_volatile():
    command = "kubectl get pod --namespace kube-system"
    seed = SEED[command]
    # Documented transformation: new AGEs, a restarted cluster's new DaemonSet/ReplicaSet
    # suffixes, and a restart that happened at another time.
    later = set_column(seed, "AGE", "3h2m")
    later = later.replace("qxqbn", "z8w2k").replace("g55hg", "4tfxd")
    later = later.replace("1 (10m ago)", "1 (2h51m ago)")
    assert compare(command, seed, later).status == "volatile"


def test_pods_of_one_walkthrough_at_two_moments_are_volatile():
    """Real, not derived: the pods listed by `get deploy,rs,pods` and, after a rollout and
    an undo, by `get all` (new ages, new pod suffixes, another row order)."""
    early = section(recorded("kubectl get deploy,rs,pods -n notes-sandbox"), "pod/")
    late = section(recorded("kubectl get all -n notes-sandbox"), "pod/")
    assert early != late
    assert compare("kubectl get pods -n notes-sandbox", early, late).status == "volatile"


def test_v1_22_and_v1_24_system_pods_differ_only_in_volatile_content():
    """Hashes, suffixes, ages and storage-provisioner's startup restart are run-to-run
    noise (restart counts are masked: they depend on timing)."""
    command = "kubectl get pod --namespace kube-system"
    assert compare(command, SEED[command], recorded(command)).status == "volatile"
    # Namespaces: listed in another order by the v1.24 server, otherwise the same.
    assert (
        compare(
            "kubectl get namespace",
            SEED["kubectl get namespace"],
            recorded("kubectl get namespace"),
        ).status
        == "volatile"
    )


def describe_pod_later() -> str:
    """describe pod nginx two hours later on a re-created pod: new start times, event age,
    pod IP, container ID and token volume suffix."""
    text = recorded("kubectl describe pod nginx -n notes-sandbox")
    text = text.replace("Thu, 26 Nov 2026 00:42:53 +0000", "Thu, 26 Nov 2026 02:51:07 +0000")
    text = text.replace("10.244.0.30", "10.244.0.7")
    text = text.replace("containerd://" + "0" * 64, "containerd://" + "3f9a" * 16)
    text = text.replace("kube-api-access-kxpcg", "kube-api-access-t2x9w")
    # The Events table realigns around the wider age, as describe prints it.
    return text.replace(
        "  Type    Reason     Age   From               Message\n"
        "  ----    ------     ----  ----               -------\n"
        "  Normal  Scheduled  4s    default-scheduler",
        "  Type    Reason     Age     From               Message\n"
        "  ----    ------     ----    ----               -------\n"
        "  Normal  Scheduled  2h10m   default-scheduler",
    )


def test_describe_at_two_times_is_volatile():
    command = "kubectl describe pod nginx -n notes-sandbox"
    later = describe_pod_later()
    assert "2h10m" in later and "10.244.0.7" in later
    assert compare(command, recorded(command), later).status == "volatile"
    node = recorded("kubectl describe node")
    assert (
        compare(
            "kubectl describe node", node, perturb_volatile("kubectl describe node", node, 3)
        ).status
        == "volatile"
    )


def test_yaml_and_json_with_new_timestamps_versions_uids_are_volatile():
    for command in ("kubectl get node -o json", "kubectl get node -o yaml"):
        text = recorded(command)
        later = text.replace("2026-11-26T00:42:28Z", "2026-12-01T09:00:05Z")
        later = later.replace("2026-11-26T00:26:18Z", "2026-11-30T23:59:58Z")
        later = later.replace("1664", "982331").replace(
            "7b320440-a0f4-45af-afb8-761f662cc739", "0d7f2c52-1e4b-4a8e-9c41-5b0e7a1d2f63"
        )
        assert compare(command, text, later).status == "volatile", command
    command = "kubectl get secret db-credentials -n notes-sandbox -o yaml"
    assert (
        compare(command, recorded(command), perturb_volatile(command, recorded(command), 5)).status
        == "volatile"
    )


def test_key_order_does_not_matter_in_json():
    command = "kubectl get node -o json"
    data = json.loads(recorded(command))
    reordered = json.dumps(dict(reversed(list(data.items()))), indent=4) + "\n"
    assert compare(command, recorded(command), reordered).status == "volatile"


def realign_keys(text: str, first: str, last: str, width: int) -> str:
    """Re-pad describe's `Key:  value` lines from `first` to `last` to a value column of
    `width`, continuation lines included, as describe does when its longest key changes."""
    lines = text.split("\n")
    a = next(i for i, x in enumerate(lines) if x.startswith(first))
    b = next(i for i, x in enumerate(lines) if x.startswith(last))
    old = len(lines[a]) - len(lines[a].split(":", 1)[1].lstrip())
    for i in range(a, b + 1):
        line = lines[i]
        if line.startswith(" " * old):
            lines[i] = " " * width + line.strip()
        elif re.match(r"[A-Z][\w ]*:\s+\S", line):
            key, value = line.split(":", 1)
            lines[i] = (key + ":").ljust(width) + value.strip()
    return "\n".join(lines)


def test_describe_realigned_by_a_longer_key_is_volatile():
    node = recorded("kubectl describe node")
    wider = realign_keys(node, "Name:", "Unschedulable:", 26)
    assert wider != node and "Labels:                   beta.kubernetes.io/arch" in wider
    assert "                          kubernetes.io/os=linux" in wider
    assert compare("kubectl describe node", node, wider).status == "volatile"


def test_describe_from_an_older_kubectl_shows_only_the_new_key():
    """kubectl before 1.24 printed no `Service Account:` line, so describe pod's first
    block was aligned to `Annotations:` (14 columns), not to `Service Account:` (18)."""
    command = "kubectl describe pod nginx -n notes-sandbox"
    new = recorded(command)
    old = realign_keys(new.replace("Service Account:  default\n", ""), "Name:", "IPs:", 14)
    assert old.startswith("Name:         nginx\nNamespace:    notes-sandbox\nPriority:     0\n")
    result = compare(command, old, new)
    assert result.status == "changed"
    assert result.changes == ["line added: Service Account: default"]


def test_object_lists_in_any_order_with_new_suffixes_are_volatile():
    def pods(*items):
        return (
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "List",
                    "items": [
                        {
                            "kind": "Pod",
                            "metadata": {"name": name},
                            "status": {"podIP": ip, "phase": phase},
                        }
                        for name, ip, phase in items
                    ],
                },
                indent=4,
            )
            + "\n"
        )

    command = "kubectl get pods -n notes-sandbox -o json"
    old = pods(
        ("web-7899ff8f4d-rpslj", "10.244.0.36", "Running"),
        ("web-7899ff8f4d-vw7f2", "10.244.0.37", "Pending"),
    )
    new = pods(
        ("web-7899ff8f4d-2t7b5", "10.244.0.39", "Pending"),
        ("web-7899ff8f4d-fgf9j", "10.244.0.38", "Running"),
    )
    assert compare(command, old, new).status == "volatile"
    assert compare(command, old, new.replace("Pending", "Failed")).changes == [
        "phase: Pending → Failed"
    ]


def test_event_tables_mask_ages_and_timings_and_keep_their_order():
    command = "kubectl get events -n notes-sandbox"
    old = (
        "LAST SEEN   TYPE     REASON      OBJECT                     MESSAGE\n"
        "12s         Normal   Scheduled   pod/web-7899ff8f4d-vw7f2   Successfully assigned "
        "notes-sandbox/web-7899ff8f4d-vw7f2 to minikube\n"
        "11s         Normal   Pulled      pod/web-7899ff8f4d-vw7f2   Successfully pulled image "
        '"nginx:1.26" in 1.234s (1.234s including waiting)\n'
    )
    new = (
        "LAST SEEN   TYPE     REASON      OBJECT                     MESSAGE\n"
        "3m2s        Normal   Scheduled   pod/web-7899ff8f4d-fgf9j   Successfully assigned "
        "notes-sandbox/web-7899ff8f4d-fgf9j to minikube\n"
        "3m          Normal   Pulled      pod/web-7899ff8f4d-fgf9j   Successfully pulled image "
        '"nginx:1.26" in 874ms (874ms including waiting)\n'
    )
    assert compare(command, old, new).status == "volatile"
    swapped = "\n".join([new.split("\n")[0], new.split("\n")[2], new.split("\n")[1]]) + "\n"
    assert compare(command, old, swapped).status == "changed"


# ---------------------------------------------------------------------------------------
# Changes in substance: "changed", with summaries


def test_upgraded_node_is_changed_with_version_and_roles():
    result = compare("kubectl get node", SEED["kubectl get node"], recorded("kubectl get node"))
    assert result.status == "changed"
    assert "VERSION: v1.22.2 → v1.24.0 (minikube)" in result.changes
    assert "ROLES: control-plane,master → control-plane (minikube)" in result.changes
    assert len(result.changes) == 2  # AGE is not a change
    assert "-minikube  Ready  control-plane,master  <age>  v1.22.2" in result.diff
    assert "+minikube  Ready  control-plane  <age>  v1.24.0" in result.diff


def test_upgraded_wide_node_names_each_changed_cell_but_not_the_node_ip():
    command = "kubectl get node -o wide"
    result = compare(command, SEED[command], recorded(command))
    assert result.status == "changed"
    assert "CONTAINER-RUNTIME: docker://20.10.8 → containerd://1.6.20 (minikube)" in result.changes
    assert "OS-IMAGE: Ubuntu 20.04.2 LTS → Ubuntu 22.04.4 LTS (minikube)" in result.changes
    assert not any(c.startswith(("INTERNAL-IP", "AGE")) for c in result.changes)


def test_changed_image_in_describe_and_wide_table():
    command = "kubectl describe pod nginx -n notes-sandbox"
    new = recorded(command)
    old = new.replace("nginx:1.27", "nginx:1.26")  # the same pod on the previous image
    result = compare(command, old, new)
    assert result.status == "changed"
    assert "Image: nginx:1.26 → nginx:1.27" in result.changes
    old_id, new_id = (f"docker.io/library/nginx:{v}@sha256:<digest>" for v in ("1.26", "1.27"))
    assert f"Image ID: {old_id} → {new_id}" in result.changes

    command = "kubectl get deploy -n notes-sandbox -o wide"
    old = WIDE[command]
    new = set_column(set_column(old, "IMAGES", "nginx:1.27"), "AGE", "9m")  # after set image
    result = compare(command, old, new)
    assert result.status == "changed"
    assert result.changes == ["IMAGES: nginx:1.26 → nginx:1.27 (web)"]


def test_removed_resource_kind_in_api_resources():
    real = recorded("kubectl api-resources")
    without_psp = "".join(
        line
        for line in real.splitlines(keepends=True)
        if not line.startswith("podsecuritypolicies ")
    )
    assert without_psp != real
    result = compare("kubectl api-resources", real, without_psp)
    assert result.status == "changed"
    assert result.changes == ["row removed: podsecuritypolicies"]
    assert any(line.startswith("-podsecuritypolicies") for line in result.diff)
    back = compare("kubectl api-resources", without_psp, real)
    assert back.changes == ["row added: podsecuritypolicies"]


def test_new_column():
    command = "kubectl get pods -n notes-sandbox -o wide --show-labels"
    new = recorded(command)

    def drop(header, rows):
        i = header.index("NOMINATED NODE")
        for r in [header, *rows]:
            del r[i]

    old = edit_table(new, drop)  # how an older kubectl without that column printed it
    result = compare(command, old, new)
    assert result.status == "changed"
    assert result.changes == ["column added: NOMINATED NODE"]
    assert compare(command, new, old).changes == ["column removed: NOMINATED NODE"]


def test_a_changed_status_in_a_multi_kind_output():
    command = "kubectl get all -n notes-sandbox"
    old = recorded(command)
    new = old.replace("service/web   ClusterIP ", "service/web   NodePort  ")
    result = compare(command, old, new)
    assert result.status == "changed"
    assert result.changes == ["TYPE: ClusterIP → NodePort (service/web)"]


def test_describe_table_rows_are_named_by_section():
    command = "kubectl describe node"
    old = recorded(command)
    new = old.replace("  Ready            True    Thu", "  Ready            False   Thu")
    result = compare(command, old, new)
    assert result.changes == ["Conditions: Status: True → False (Ready)"]


# ---------------------------------------------------------------------------------------
# normalize


def test_normalize_masks_by_column_and_renders_without_alignment():
    text = WIDE["kubectl get pod --namespace kube-system -o wide"]
    out = normalize("kubectl get pod -n kube-system -o wide", text)
    lines = out.splitlines()
    assert (
        lines[0] == "NAME  READY  STATUS  RESTARTS  AGE  IP  NODE  NOMINATED NODE  READINESS GATES"
    )
    assert (
        "coredns-<hash>-<id>  1/1  Running  <restarts>  <age>  <ip>  minikube  <none>  <none>"
        in lines
    )
    assert (
        "kube-proxy-<id>  1/1  Running  <restarts>  <age>  <ip>  minikube  <none>  <none>" in lines
    )
    assert "etcd-minikube  1/1  Running  <restarts>  <age>  <ip>  minikube  <none>  <none>" in lines


def test_normalize_keeps_node_address_and_cidrs_masks_pod_side_ips():
    node = normalize("kubectl describe node", recorded("kubectl describe node"))
    assert "InternalIP:  192.168.49.2" in node and "PodCIDR:  172.17.0.0/24" in node
    pod = normalize(
        "kubectl describe pod nginx", recorded("kubectl describe pod nginx -n notes-sandbox")
    )
    assert "Node:  minikube/<ip>" in pod and "IP:  <ip>" in pod and "10.244" not in pod
    assert "Start Time:  <time>" in pod and "Container ID:  containerd://<id>" in pod
    assert "kube-api-access-<id>" in pod and "Restart Count:  <restarts>" in pod
    labels = normalize("kubectl get rs -o wide", WIDE["kubectl get rs -n notes-sandbox -o wide"])
    assert "web-<hash>  2  2  2  <age>  web  nginx:1.26  app=web,pod-template-hash=<hash>" in labels


def test_normalize_structured_output():
    out = normalize("kubectl get node -o yaml", recorded("kubectl get node -o yaml"))
    assert "creationTimestamp: <time>" in out and "resourceVersion: <rv>" in out
    assert "uid: <uid>" in out and "lastHeartbeatTime: <time>" in out
    assert "- address: 192.168.49.2" in out and "kubeletVersion: v1.24.0" in out
    assert "podCIDR: 172.17.0.0/24" in out
    # YAML and JSON of the same object normalize to the same content.
    as_json = json.loads(
        normalize("kubectl get node -o json", recorded("kubectl get node -o json"))
    )
    assert as_json == yaml.safe_load(out)


def test_normalize_leaves_versions_and_plain_messages_alone():
    version = "Client Version: v1.37.1\nKustomize Version: v5.8.1\nServer Version: v1.24.0\n"
    assert normalize("kubectl version", version) == version
    assert (
        normalize("kubectl create namespace my-namespace", "namespace/my-namespace created\n")
        == "namespace/my-namespace created\n"
    )
    assert (
        normalize("kubectl get secret x -o jsonpath={.data.password}", "bm90ZXMtczNjcmV0LXB3")
        == "bm90ZXMtczNjcmV0LXB3\n"
    )


def test_values_wider_than_headers_and_hand_edited_rows():
    """The normalizer cuts cells by header position; a pasted row that lost its alignment
    is still read cell by cell."""
    aligned = "NAME   TYPE\nweb    ClusterIP\nlong-service-name   NodePort\n"
    assert normalize("kubectl get svc", aligned).splitlines()[1:] == [
        "long-service-name  NodePort",
        "web  ClusterIP",
    ]


# ---------------------------------------------------------------------------------------
# compare_results: exit codes, stderr, command lists


def result(command: str, out: str = "", err: str = "", code: int = 0) -> CommandResult:
    return CommandResult(command, code, out, err)


def test_compare_results_exit_code_and_stderr():
    ok = result("kubectl get pod web", "NAME  READY\nweb   1/1\n")
    gone = result(
        "kubectl get pod web", "", 'Error from server (NotFound): pods "web" not found\n', 1
    )
    c = compare_results([ok], [gone])
    assert c.status == "changed"
    assert c.changes[0] == "exit code: 0 → 1"
    assert "+[exit code 1]" in c.diff and any(x.startswith("+[stderr] Error") for x in c.diff)
    assert c.diff[0] == "--- before: kubectl get pod web"

    warn = result("kubectl rollout undo deployment/web", "rolled back\n", "Warning: old\n")
    warn2 = result("kubectl rollout undo deployment/web", "rolled back\n", "Warning: new\n")
    c = compare_results([warn], [warn2])
    assert c.status == "changed" and c.changes == ["stderr: Warning: old → new"]
    err = result("kubectl get pod web", "", "error: one\n", 1)
    c = compare_results([err], [result("kubectl get pod web", "", "it broke\n", 1)])
    assert c.changes == ["stderr: line removed: error: one", "stderr: line added: it broke"]


def test_compare_results_of_several_commands():
    get = "kubectl get namespace"
    old = [result("kubectl create namespace a", "namespace/a created\n"), result(get, SEED[get])]
    new = [
        result("kubectl create namespace a", "namespace/a created\n"),
        result(get, recorded(get)),
    ]
    assert compare_results(old, old).status == "unchanged"
    assert compare_results(old, new).status == "volatile"
    changed = [new[0], result(get, recorded(get).replace("Active", "Terminating", 1))]
    c = compare_results(old, changed)
    assert c.status == "changed"
    assert c.changes == ["kubectl get namespace: STATUS: Active → Terminating (kube-system)"]
    c = compare_results(old, [new[1]])
    assert c.status == "changed" and c.changes == ["command removed: kubectl create namespace a"]


# ---------------------------------------------------------------------------------------
# The report


NOTES = Provenance("minikube", "v1.22.2", "v1.22.2", "2021-10-20T00:00:00Z", "the original notes")
LIVE_OLD = Provenance("minikube", "v1.22.2", "v1.22.2", "2021-10-21T10:00:00Z")
LIVE = Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T00:43:00Z")


def capture(outputs: list[tuple[str, str]], provenance: Provenance, id: str | None = None):
    return SnippetCapture("k", [result(c, o) for c, o in outputs], provenance, id)


def sample_report() -> DriftReport:
    node, pods, ns = (
        "kubectl get node",
        "kubectl get pod --namespace kube-system",
        "kubectl get namespace",
    )
    page = "course/04-kubectl.md"
    return build_report(
        [
            (
                page,
                "get-node",
                [node],
                capture([(node, SEED[node])], NOTES),
                capture([(node, recorded(node))], LIVE),
            ),
            (
                page,
                5,
                [pods],
                capture([(pods, SEED[pods])], NOTES),
                capture([(pods, recorded(pods))], LIVE),
            ),
            (
                "course/05-resources.md",
                0,
                [ns],
                capture([(ns, recorded(ns))], LIVE_OLD),
                capture([(ns, recorded(ns))], LIVE),
            ),
            (
                "course/05-resources.md",
                1,
                ["kubectl options"],
                None,
                capture([("kubectl options", "x\n")], LIVE),
            ),
        ]
    )


def test_build_report_entries_and_counts():
    report = sample_report()
    assert [(e.page, e.label, e.status) for e in report.entries] == [
        ("course/04-kubectl.md", "get-node", "changed"),
        ("course/04-kubectl.md", "#6 kubectl get pod --namespace kube-system", "volatile"),
        ("course/05-resources.md", "#1 kubectl get namespace", "unchanged"),
        ("course/05-resources.md", "#2 kubectl options", "new"),
    ]
    assert report.counts() == {
        "changed": 1,
        "renamed": 0,
        "command": 0,
        "volatile": 1,
        "unchanged": 1,
        "new": 1,
    }
    before = report.before()
    assert [(g.source, g.server_version, g.snippets) for g in before] == [
        ("the original notes", "v1.22.2", 2),
        ("live", "v1.22.2", 1),
    ]
    assert [(g.server_version, g.snippets) for g in report.after()] == [("v1.24.0", 4)]


def test_summary_lines():
    lines = sample_report().summary_lines()
    assert lines[0] == "drift: 1 changed, 1 volatile only, 1 unchanged, 1 new (4 snippets)"
    first_change = "ROLES: control-plane,master -> control-plane (minikube)"
    assert f"  changed: course/04-kubectl.md > get-node: {first_change}" in lines
    assert all("→" not in line for line in lines)


def test_json_round_trip():
    report = sample_report()
    text = report.to_json()
    data = json.loads(text)
    assert data["version"] == 4 and data["counts"]["changed"] == 1
    assert list(data) == sorted(data)
    again = reportfile.load(text)
    assert again == report
    assert again.to_json() == text
    with pytest.raises(ValueError):
        reportfile.load('{"version": 1, "entries": []}')
    with pytest.raises(ValueError):
        reportfile.load('{"version": 3}')


def test_markdown_ja_and_en():
    """The page's Markdown: a heading per step (the newest first), each followed by one
    line of HTML (tests/test_change_page.py reads that HTML)."""
    report = reportfile.load(sample_report().to_json())  # the site renders the saved JSON
    ja = reportpage.markdown(report, lang="ja")
    assert ja.startswith("# クラスター更新による変化\n")
    steps = re.findall(r"^## (.*)$", ja, re.M)
    assert steps == [
        "バージョンアップ: v1.22.2 → v1.24.0 (元のノートから、2026-11-26)",
        "バージョンアップ: v1.22.2 → v1.24.0 (2026-11-26)",
        "初めてのキャプチャ (2026-11-26)",
    ]
    blocks = [b for b in ja.split("\n") if b.startswith("<div")]
    assert len(blocks) == 3 and all("\n" not in b for b in blocks)
    en = reportpage.markdown(report, lang="en", page="reports/changes.md")
    assert en.startswith("# Changes from the cluster upgrade\n")
    assert 'href="../course/04-kubectl.html#kc-get-node"' in en
    assert reportpage.markdown(DriftReport.empty(), "ja").startswith(
        "# クラスター更新による変化\n\nまだ"
    )


# ---------------------------------------------------------------------------------------
# Pairing a page's old and new captures (what report.py calls)


PAGE = """# kubectl

```kubectl id="get-node"
kubectl get node
```

```console
$ kubectl get namespace
NAME              STATUS   AGE
default           Active   10m
kube-node-lease   Active   10m
kube-public       Active   10m
kube-system       Active   10m
```

```console
$ kubectl api-resources
```
"""


def test_page_pairs_use_old_captures_or_the_pasted_transcript():
    snippets = parse_page(PAGE, "course/04-kubectl.md", transcripts=True)
    node, ns, api = snippets

    def captured(snippet, command, output, provenance):
        return SnippetCapture(snippet.key, [result(command, output)], provenance, snippet.id)

    node_cmd, ns_cmd, api_cmd = "kubectl get node", "kubectl get namespace", "kubectl api-resources"
    old = PageCapture(
        "course/04-kubectl.md", "old", [captured(node, node_cmd, SEED[node_cmd], NOTES)]
    )
    new = PageCapture(
        "course/04-kubectl.md",
        "new",
        [
            captured(node, node_cmd, recorded(node_cmd), LIVE),
            captured(ns, ns_cmd, recorded(ns_cmd), LIVE),
            captured(api, api_cmd, recorded(api_cmd), LIVE),
        ],
    )
    pairs = page_pairs(old, new, snippets)
    # Old capture by key; the transcript's pasted output; nothing pasted: no baseline.
    assert [(p.ref, p.old is not None) for p in pairs] == [
        ("get-node", True),
        (1, True),
        (2, False),
    ]
    assert pairs[1].old.provenance.source == "pasted in the page"
    entries = compare_page(old, new, snippets)
    assert [(e.label, e.status) for e in entries] == [
        ("get-node", "changed"),
        ("#2 kubectl get namespace", "volatile"),
        ("#3 kubectl api-resources", "new"),
    ]
    assert [e.status for e in compare_page(None, new, snippets[:1])] == ["new"]


# ---------------------------------------------------------------------------------------
# Saved change markers count for the rules they were made with


def rules_fingerprint() -> str:
    """What the rules say on every recorded output: normalized, and compared with the
    output recorded before it and with the v1.22.2 original of the same command."""
    import hashlib

    outputs = [(o["command"], o["stdout"]) for o in RECORDINGS]
    said = [normalize(command, text) for command, text in outputs]
    pairs = [(outputs[i - 1][1], outputs[i]) for i in range(1, len(outputs))]
    pairs += [(SEED[c], (c, t)) for c, t in outputs if c in SEED]
    for old, (command, new) in pairs:
        c = compare(command, old, new)
        said += [c.status, *c.diff, *c.changes]
    return hashlib.sha256("\0".join(said).encode()).hexdigest()[:16]


def test_a_change_to_the_rules_bumps_their_version():
    """history.change trusts a saved marker made with the same drift.RULES: whoever
    changes what normalize or compare says bumps RULES, then updates this fingerprint."""
    from kubecapture.drift import drift

    assert (drift.RULES, rules_fingerprint()) == (4, "2a89966157d86a58")


def test_a_json_key_that_only_gained_a_comma_is_no_change_of_value():
    """A new annotation after the last one adds a comma to it: the annotation added is the
    change, not `node.alpha.kubernetes.io/ttl: 0 → 0`."""
    command = "kubectl get node -o json"
    old = '{\n    "annotations": {\n        "a-ttl": "0"\n    }\n}\n'
    new = '{\n    "annotations": {\n        "a-ttl": "0",\n        "b-managed": "true"\n    }\n}\n'
    assert compare(command, old, new).changes == ["line added: b-managed: true"]


def test_describe_of_several_objects_in_another_order_is_no_change():
    """The same namespaces described in the order of another store (v1.24 on SQLite, then
    etcd) are the same output; a changed label among them is still a change."""
    command = "kubectl describe namespace kube-"

    def described(names, label="x"):
        return (
            "\n\n".join(
                f"Name:         {n}\nLabels:       k={label}\nStatus:       Active" for n in names
            )
            + "\n"
        )

    names = ["kube-node-lease", "kube-public", "kube-system"]
    assert compare(command, described(names[::-1]), described(names)).status != "changed"
    assert compare(command, described(names[::-1]), described(names, "y")).status == "changed"


DESCRIBE_EVENTS = """\
Name:               kubecapture-node
Events:
  Type    Reason          Age   From             Message
  ----    ------          ----  ----             -------
{rows}"""
REGISTERED = (
    "  Normal  RegisteredNode  {age}  node-controller  "
    "Node kubecapture-node event: Registered Node kubecapture-node in Controller\n"
)


def test_an_event_recorded_once_more_is_said_so_not_a_new_row():
    """An upgrade in place restarts the controller-manager, which registers the node again:
    one more RegisteredNode event, the same as those listed. That is the same event more
    often, not a new kind of row; a new reason stays a row added."""
    old = DESCRIBE_EVENTS.format(rows=REGISTERED.format(age="10m") * 2)
    new = DESCRIBE_EVENTS.format(
        rows=REGISTERED.format(age="40s") + REGISTERED.format(age="11m") * 2
    )
    c = compare("kubectl describe node", old, new)
    assert c.status == "changed"
    assert [str(d) for d in c.differences] == [
        "Events: recorded again: RegisteredNode (2 → 3 times)"
    ]
    other = REGISTERED.format(age="5s").replace("RegisteredNode", "Starting      ")
    c = compare("kubectl describe node", old, old + other)
    assert [d.kind for d in c.differences] == ["row_added"]


def test_a_value_that_came_is_a_changed_value_not_a_line_removed():
    """`Container ID:` is empty on a simulated node and holds a containerd ID on a real one:
    the line is still there, its value came (issue 25: the summary said `line removed`)."""
    command = "kubectl describe pod nginx"
    old = "Containers:\n  nginx:\n    Container ID:\n    Image:  nginx:1.27\n"
    new = (
        "Containers:\n  nginx:\n    Container ID:  containerd://0123abcd\n    Image:  nginx:1.27\n"
    )
    changes = compare(command, old, new).changes
    assert not any("line removed" in c for c in changes), changes
    assert any(c.startswith("Container ID:") for c in changes), changes


def test_a_log_line_time_is_volatile():
    """nginx writes `2026/12/06 21:40:32 [notice] ...`: another start, another time."""
    line = '{} [notice] 1#1: using the "epoll" event method\n'
    old, new = line.format("2026/12/06 21:40:32"), line.format("2026/12/07 09:01:59")
    assert compare("kubectl logs nginx", old, new).status == "volatile"
    assert compare("kubectl logs nginx", old, old.replace("epoll", "poll")).status == "changed"
    # and the worker's PID is another on another start
    started = "2026/12/06 21:40:32 [notice] 1#1: start worker process {}\n"
    assert compare("kubectl logs nginx", started.format(7), started.format(8)).status == "volatile"
