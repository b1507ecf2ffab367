"""Second adversarial review: hostile pages and files that got past the first corpus.

Each test shows one bypass as it really happened against the API stand-in (the world of
test_adversarial_args: a logging kubectl wrapper, a victim namespace, a Secret of
namespace `other`), or on the pure functions where no cluster is needed.
"""

from __future__ import annotations

import pytest
import test_adversarial_args as corpus
from test_adversarial_args import BENIGN, MARKER, _b64, capture, snapshot

world = corpus.world  # the corpus's world: stand-in, logging kubectl, victims, marker


def _page(front: str, *commands: str) -> str:
    head = f"---\nkubecapture: {front}\n---\n\n" if front else ""
    body = "\n".join(f'```kubectl id="c{i}"\n{c}\n```\n' for i, c in enumerate(commands))
    return f"{head}# hostile\n\n{body}"


def _alive(world, resource, ns, name):
    with world.standin.cluster.lock:
        obj = world.standin.cluster.get_obj(("", resource), ns, name)
    return obj is not None and not obj["metadata"].get("deletionTimestamp")


def test_help_does_not_count_as_creating_what_a_later_delete_removes(world):
    """`kubectl create namespace victim --help` prints help and exits 0 without creating
    anything; it must not permit deleting the namespace `victim` that was already there."""
    page = _page("", "kubectl create namespace victim --help", "kubectl delete namespace victim")
    capture(world, {"hostile.md": page, "benign.md": BENIGN})
    assert _alive(world, "namespaces", "", "victim")
    ran = [" ".join(a) for a in world.argvs()]
    assert not [r for r in ran if "delete namespace victim" in r], ran


def _k(world, *args):
    import subprocess

    from conftest import KUBECTL

    return subprocess.run(
        [str(KUBECTL), *args], env=world.env, capture_output=True, text=True, check=True
    )


def test_append_hash_does_not_create_the_name_a_later_delete_removes(world):
    """`create configmap keep --append-hash` creates `keep-<hash>`, not `keep`: the
    namespace's own `keep` must not become the page's to delete."""
    page = _page(
        "",
        "kubectl create configmap keep -n victim --from-literal=a=b --append-hash",
        "kubectl delete configmap keep -n victim",
    )
    before = snapshot(world)
    capture(world, {"hostile.md": page, "benign.md": BENIGN})
    with world.standin.cluster.lock:
        kept = world.standin.cluster.get_obj(("", "configmaps"), "victim", "keep")
    assert kept and kept["metadata"]["uid"] == before["uids"][("configmaps", "victim", "keep")]
    ran = [" ".join(a) for a in world.argvs()]
    assert not [r for r in ran if "delete configmap keep" in r], ran


VWC = """apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: victim-webhook}
webhooks: []
"""


def test_a_category_of_cluster_wide_types_is_not_in_the_sandbox(world, tmp_path):
    """`api-extensions` names webhooks, API services and CRDs: all cluster-wide."""
    manifest = tmp_path / "vwc.yaml"
    manifest.write_text(VWC)
    _k(world, "create", "-f", str(manifest))
    page = _page("{sandbox: true}", "kubectl delete api-extensions --all")
    capture(world, {"hostile.md": page, "benign.md": BENIGN})
    with world.standin.cluster.lock:
        alive = world.standin.cluster.get_obj(
            ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
            "",
            "victim-webhook",
        )
    assert alive is not None, "the webhook configuration was deleted"
    ran = [" ".join(a) for a in world.argvs()]
    assert not [r for r in ran if "delete api-extensions" in r], ran


# --- cluster-wide types the first list did not know ------------------------------------------


def _plan(root, front: str, *commands: str):
    from kubecapture.run import planning

    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "snippets" / "manifests").mkdir(parents=True, exist_ok=True)
    settings = planning.Settings(captures_dir=root / "snippets" / "captures", workdir=root)
    return planning.plan_page("p.md", _page(front, *commands), settings)


@pytest.mark.parametrize(
    "command",
    [
        # built-in cluster-scoped types of kubectl/Kubernetes 1.37 missing from the list
        "kubectl delete servicecidrs --all",
        "kubectl delete ipaddresses --all",
        "kubectl delete volumeattributesclasses --all",
        "kubectl delete mutatingadmissionpolicies --all",
        "kubectl delete mutatingadmissionpolicybindings --all",
        "kubectl delete deviceclasses,resourceslices --all",
        "kubectl delete clustertrustbundles --all",
        "kubectl label servicecidr kubernetes evil=1",
        "kubectl patch ipaddress 10.96.0.1 --type=merge -p '{\"spec\":{}}'",
        # a category of cluster-wide types, a custom resource, a namespaced name in another group
        "kubectl delete api-extensions --all",
        "kubectl delete widgets.example.com --all",
        "kubectl delete deployments.example.com --all",
        "kubectl annotate deployments.example.com/web a=b",
    ],
)
def test_a_type_not_known_to_be_namespaced_is_not_the_sandboxes(tmp_path, command):
    from kubecapture.base.snippets import SnippetError

    with pytest.raises(SnippetError, match="may be cluster-wide|cluster-wide"):
        _plan(tmp_path, "{sandbox: true}", command)


@pytest.mark.parametrize(
    "manifest",
    [
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingAdmissionPolicy\n"
        "metadata: {name: evil}\n",
        "apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {name: evil}\n",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: evil}\n",
        # a namespaced kind's name in another group
        "apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: evil}\n",
    ],
)
@pytest.mark.parametrize("command", ["kubectl apply -f {m}", "kubectl delete -f {m}"])
def test_a_manifest_kind_not_known_to_be_namespaced_is_not_the_sandboxes(
    tmp_path, manifest, command
):
    from kubecapture.base.snippets import SnippetError

    path = tmp_path / "snippets" / "manifests" / "m.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(manifest)
    with pytest.raises(SnippetError, match="cluster-wide"):
        _plan(tmp_path, "{sandbox: true}", command.format(m="snippets/manifests/m.yaml"))


def test_namespaced_types_in_their_own_groups_stay_the_sandboxes(tmp_path):
    (tmp_path / "snippets" / "manifests").mkdir(parents=True)
    (tmp_path / "snippets" / "manifests" / "d.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
    )
    assert _plan(
        tmp_path,
        "{sandbox: true}",
        "kubectl delete deployments.v1.apps web",
        "kubectl delete deploy.apps/web pods.v1/x",
        "kubectl delete all --all",
        "kubectl set env deployment/web KEY-",
        "kubectl apply -f snippets/manifests/d.yaml",
        "kubectl delete -f snippets/manifests/d.yaml",
    ).snippets


# --- a manifest kubectl reads as a list though its kind is no List ---------------------------

# kubectl (apimachinery's unstructured decoder) reads any object with a top-level `items`
# list as a list of those items, whatever its kind says.
NOT_A_LIST = """apiVersion: v1
kind: ConfigMap
metadata: {name: harmless}
items:
- apiVersion: v1
  kind: %s
  metadata: {name: %s%s}
"""


def test_items_of_an_object_that_is_no_list_are_read_by_the_guard(world):
    path = world.root / "snippets" / "manifests" / "cm.yaml"
    path.write_text(NOT_A_LIST % ("Namespace", "victim", ""))
    page = _page("{sandbox: true}", "kubectl delete -f snippets/manifests/cm.yaml")
    capture(world, {"hostile.md": page, "benign.md": BENIGN})
    assert _alive(world, "namespaces", "", "victim"), "the namespace victim was deleted"
    ran = [" ".join(a) for a in world.argvs()]
    assert not [r for r in ran if "delete -f" in r], ran


def test_items_of_an_object_that_is_no_list_count_for_redaction(world):
    """`get -f` of such a file reads a Secret of namespace `other`: its values are masked."""
    path = world.root / "snippets" / "manifests" / "cm.yaml"
    path.write_text(NOT_A_LIST % ("Secret", "hidden", ", namespace: other"))
    page = _page(
        "{allow_other_secrets: true}",
        "kubectl get -f snippets/manifests/cm.yaml -o jsonpath={..data.word}",
    )
    before = snapshot(world)
    outcome = capture(world, {"hostile.md": page, "benign.md": BENIGN})
    assert outcome.refused is None
    shown = outcome.captured["hostile.md"].snippets[0].results[0].stdout
    assert shown.strip(), "the command printed nothing: the check would prove nothing"
    for file in (world.root / "snippets").rglob("*"):
        if file.is_file() and file not in before["files"]:
            data = file.read_bytes()
            assert MARKER.encode() not in data and _b64(MARKER) not in data, file


# --- a value as Go's encoding/json writes it ----------------------------------------------

GO_VALUE = "<p&a>s<s&w>o<r&d>"  # every 6 characters hold one of < > &
GO_ESCAPED = GO_VALUE.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def test_a_value_json_escaped_as_go_writes_it_is_masked(world, tmp_path):
    """kubectl writes the last-applied annotation with Go's encoding/json, which escapes
    < > & as \\u003c \\u003e \\u0026; a template printing that annotation without its
    `"kind":"Secret"` shows a Secret's value in that form."""
    manifest = tmp_path / "secret.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: amp, namespace: other}\n"
        f"stringData: {{pw: '{GO_VALUE}'}}\n"
    )
    _k(world, "apply", "-f", str(manifest))
    template = (
        "{{slice (index .metadata.annotations "
        '"kubectl.kubernetes.io/last-applied-configuration") 34}}'
    )
    # allowed to read namespace other: what is read is still masked
    command = f"kubectl get secret amp -n other -o go-template='{template}'"
    page = _page("{allow_other_secrets: true}", command)
    outcome = capture(world, {"hostile.md": page, "benign.md": BENIGN})
    assert outcome.refused is None
    shown = outcome.captured["hostile.md"].snippets[0].results[0].stdout
    assert "stringData" in shown and "Secret" not in shown, shown  # the case it is about
    assert GO_ESCAPED not in shown, shown


# --- a page without a sandbox changes other namespaces ---------------------------------------


def test_a_page_without_front_matter_grants_nothing_in_kube_system(world):
    """The default site (no sandbox) and a page with no front matter at all: a RoleBinding
    in kube-system gives anonymous users cluster-admin's rights there (its service
    accounts' tokens, pods run as them), with no `allow_destructive` in the diff."""
    (world.root / "snippets" / "manifests" / "rb.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
        "metadata: {name: evil, namespace: kube-system}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
        "subjects: [{kind: Group, name: 'system:unauthenticated', "
        "apiGroup: rbac.authorization.k8s.io}]\n"
    )
    page = _page("", "kubectl apply -f snippets/manifests/rb.yaml")
    capture(world, {"hostile.md": page, "benign.md": BENIGN})
    with world.standin.cluster.lock:
        made = world.standin.cluster.get_obj(
            ("rbac.authorization.k8s.io", "rolebindings"), "kube-system", "evil"
        )
    assert made is None, "a RoleBinding evil was made in kube-system"


# --- links in the notes to files of the machine ----------------------------------------------


def test_a_link_in_the_notes_to_a_file_outside_is_not_published(tmp_path):
    """A pull request can add links: docs/leak.txt (MkDocs copies it into the site) and
    snippets/link.txt (the notes include snippets/ with --8<--) to a file of the machine
    (~/.kube/config, /proc/self/environ): what they lead to must not reach the site."""
    import os

    import yaml
    from sites import build, make_site, offline_env

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"secret {MARKER}\n")
    page = '# Home\n\n--8<-- "link.txt"\n\n[x](leak.txt)\n'
    site = make_site(tmp_path / "site", {"index.md": page, "ok.md": "# Ok\n"})
    config = yaml.safe_load(site.read_text())
    config["markdown_extensions"].append(
        {"pymdownx.snippets": {"base_path": ["snippets"], "check_paths": True}}
    )
    site.write_text(yaml.safe_dump(config))
    root = site.parent
    (root / "snippets").mkdir()
    (root / "snippets" / "link.txt").symlink_to(outside / "secret.txt")
    (root / "docs" / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "docs" / "inside.md").symlink_to(root / "docs" / "ok.md")  # a link in the notes
    built = build(site, offline_env(), mode="replay")
    for path in (root / "site").rglob("*") if (root / "site").exists() else ():
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path
    assert built.returncode != 0 and "leak.txt is a link to" in built.log, built.log
    # links that stay in the notes are fine
    os.unlink(root / "docs" / "leak.txt")
    os.unlink(root / "snippets" / "link.txt")
    (root / "snippets" / "link.txt").write_text("included\n")
    built = build(site, offline_env(), mode="replay")
    assert built.returncode == 0, built.log


def test_a_link_in_the_captures_folder_does_not_send_a_capture_outside(tmp_path, kube_env):
    """snippets/captures/evil -> a folder of the machine (.github/workflows, ~/.ssh):
    `kubecapture refresh` of docs/evil/p.md would write evil/p.yaml there."""
    from sites import kubecapture, make_site

    outside = tmp_path / "outside"
    outside.mkdir()
    page = "# P\n\n```kubectl\nkubectl get namespace default -o name\n```\n"
    site = make_site(tmp_path / "site", {"evil/p.md": page}, captures_dir="snippets/captures")
    captures = site.parent / "snippets" / "captures"
    captures.mkdir(parents=True)
    (captures / "evil").symlink_to(outside, target_is_directory=True)
    ran = kubecapture(site, kube_env, "refresh")
    assert not (outside / "p.yaml").exists(), ran.log
    assert ran.returncode != 0 and "is a link to" in ran.log, ran.log


# --- version-matrix.json: a value that starts a Markdown fence ---------------------------------


def test_a_saved_matrix_cell_cannot_start_a_fence_on_the_versions_page():
    """The matrix is put into the page's Markdown before superfences runs (as the change
    page is): a diff line of version-matrix.json holding a newline and ``` made a console
    block of its own on the versions page. Every value must be inert there."""
    import markdown
    from kubecapture.drift import matrix
    from kubecapture.site import markers

    cells = matrix.load_cells(
        '{"cells": {"k": {"status": "changed", "diff": '
        '["+x\\n\\n```console\\n$ kubectl get secret\\nKC-INJECTED\\n```\\n\\n"]}}}'
    )
    grid = matrix.Matrix(
        [matrix.Setup("c", "v1", "", "live"), matrix.Setup("d", "v2", "", "live")],
        [matrix.Row("p.md", 1, ["kubectl get node"], [matrix.Cell("newest"), cells["k"]])],
    )
    page = markers.expand_matrix(
        "# Versions\n\n<!-- kubecapture: version-matrix -->\n",
        matrix.to_html(grid, {}, "en"),
    )
    html = markdown.markdown(page, extensions=["pymdownx.superfences", "md_in_html"])
    assert html.count("<pre") == 1, html  # the cell's own diff block, nothing more
    assert "KC-INJECTED" in html  # shown, as text


# --- the CLI prints what a capture file holds -------------------------------------------------

ESCAPES = "\x1b]52;c;cm0gLXJmIH4K\x07\x1b]0;pwned\x07\x9b2J"  # clipboard, title, C1 CSI


@pytest.mark.parametrize(
    "args",
    [("history",), ("matrix",), ("matrix", "--json"), ("compare", "index.md", "x", "1", "0")],
)
def test_escape_sequences_of_a_capture_never_reach_the_authors_terminal(tmp_path, args):
    """`kubecapture history/matrix/compare` on a pull request's capture file: its labels,
    commands and outputs reach the author's terminal as text, never as control sequences
    (OSC 52 writes the clipboard, OSC 0 the title, CSI clears the screen)."""
    import os
    import re

    from kubecapture.captures import store
    from kubecapture.drift import history
    from kubecapture.run import planning
    from sites import kubecapture, make_site

    page = '# P\n\n```kubectl id="x"\nkubectl get node\n```\n'
    site = make_site(tmp_path / "site", {"index.md": page})
    settings = planning.Settings(captures_dir=site.parent / "captures", workdir=site.parent)
    plan = planning.plan_page("index.md", page, settings)

    def entry(n: int) -> store.SnippetCapture:
        prov = store.Provenance(
            "minikube" + ESCAPES, f"v1.2{n}.0", "v1.37.1", f"2026-11-2{n}T01:00:00Z"
        )
        result = store.CommandResult("kubectl get node", 1, f"out {n} {ESCAPES}\n", ESCAPES)
        return store.SnippetCapture(plan.snippets[0].key, [result], prov, "x")

    newer, older = entry(2), entry(1)
    newer.history = [older]
    newer.change = store.Change(history.change_digest(newer, older), "changed", [ESCAPES])
    store.save(plan.capture_file, store.PageCapture("index.md", plan.key, [newer]))
    ran = kubecapture(site, dict(os.environ), *args)
    assert "out 2" in ran.log or "minikube" in ran.log, ran.log  # it printed the capture
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", ran.log), repr(ran.log)
