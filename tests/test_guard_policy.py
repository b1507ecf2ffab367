"""The guard's page-level rules on top of the allowlist (no cluster): opt-in commands,
files kubectl may read, changes outside the sandbox, kubecapture's own labels."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kubecapture.base.snippets import SnippetError
from kubecapture.run import planning
from kubecapture.trust.files import OutsideContent, confine, content_roots


@pytest.fixture
def site(tmp_path) -> Path:
    """A project: docs/, snippets/manifests/, and files around it that are not the notes."""
    for d in ("docs", "snippets/manifests", ".git"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "snippets/manifests/pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
        "spec: {containers: [{name: web, image: nginx}]}\n"
    )
    (tmp_path / ".git/config").write_text("[http] extraheader = token\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    return tmp_path


def plan(site: Path, *commands: str, front: str = ""):
    head = f"---\nkubecapture: {front}\n---\n\n" if front else ""
    body = "".join(f"```kubectl\n{c}\n```\n\n" for c in commands)
    settings = planning.Settings(captures_dir=site / "snippets/captures", workdir=site)
    return planning.plan_page("p.md", f"{head}# p\n\n{body}", settings)


def refused(site: Path, *commands: str, front: str = "") -> str:
    with pytest.raises(SnippetError) as e:
        plan(site, *commands, front=front)
    return str(e.value)


# --- opt-in ----------------------------------------------------------------------------------


def test_an_opt_in_command_runs_only_where_the_page_allows_it(site):
    command = "kubectl create clusterrolebinding r --clusterrole=view --user=alice"
    message = refused(site, command)
    assert message.startswith(f"p.md:4: refusing to run `{command}`: ")
    assert 'add `allow: ["kubectl create clusterrolebinding"]`' in message
    allow = '{allow: ["kubectl create clusterrolebinding"]}'
    assert plan(site, command, front=allow).snippets
    assert plan(site, f"{command} --dry-run=client").snippets  # changes nothing


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("kubectl proxy", "never runs in a snippet"),
        ("kubectl get", "runs without being listed"),
        ("kubectl frobnicate", "not a kubectl command"),
    ],
)
def test_allow_names_opt_in_commands_only(site, entry, why):
    message = refused(site, "kubectl get pods", front=f'{{allow: ["{entry}"]}}')
    assert message.startswith(f'p.md:2: front matter kubecapture.allow: "{entry}" cannot be')
    assert why in message and "kubectl create clusterrolebinding" in message


def test_allow_must_be_a_list_of_strings(site):
    message = refused(site, "kubectl get pods", front="{allow: kubectl drain}")
    assert message.startswith("p.md:2: front matter kubecapture.allow must be a list")


# --- files kubectl reads ---------------------------------------------------------------------


def test_files_inside_the_notes_are_read(site):
    assert plan(site, "kubectl apply -f snippets/manifests/pod.yaml").snippets
    assert plan(site, "kubectl apply -f snippets/manifests/ -R").snippets
    assert plan(site, "kubectl create configmap c --from-file=docs --dry-run=client").snippets


@pytest.mark.parametrize(
    "command",
    [
        "kubectl apply -f mkdocs.yml",
        "kubectl apply -f .git/config",
        "kubectl apply -f snippets/../mkdocs.yml",
        "kubectl apply -f /etc/passwd",
        "kubectl apply -f -",
        "kubectl apply -f https://example.com/x.yaml",
        "kubectl create configmap c --from-file=k=/etc/hostname",
        "kubectl create configmap c --from-env-file=/proc/self/environ",
        "kubectl get pods -o jsonpath-file=/etc/hostname",
        "kubectl get pods -o go-template-file --template=mkdocs.yml",
        "kubectl create secret tls t --cert=/etc/ssl/cert.pem --key=snippets/k.pem",
        "kubectl patch deployment web --patch-file=/tmp/p.json",
    ],
)
def test_files_outside_the_notes_are_refused(site, command):
    message = refused(site, command)
    assert message.startswith(f"p.md:4: refusing to run `{command}`: kubectl would read a file")


def test_links_and_folders_are_checked_where_they_lead(site, tmp_path):
    roots = content_roots(site)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("secret\n")
    (site / "snippets/link.yaml").symlink_to(outside)
    with pytest.raises(OutsideContent, match="outside the notes"):
        confine("snippets/link.yaml", site, roots, recursive=False)
    folder = site / "snippets/folder/deeper"
    folder.mkdir(parents=True)
    (folder / "x.yaml").symlink_to("/etc/hostname")
    confine("snippets/folder", site, roots, recursive=False)  # kubectl stays at the top
    with pytest.raises(OutsideContent):
        confine("snippets/folder", site, roots, recursive=True)
    (site / "docs/.hidden").write_text("x")
    with pytest.raises(OutsideContent, match="hidden"):
        confine("docs", site, roots, recursive=False)
    os.mkfifo(site / "snippets/fifo")
    with pytest.raises(OutsideContent, match="not a regular file"):
        confine("snippets/fifo", site, roots, recursive=False)
    linked_root = site / "snippets/up"
    linked_root.symlink_to(site)  # a link back to the project root: mkdocs.yml is outside
    with pytest.raises(OutsideContent):
        confine("snippets/up/mkdocs.yml", site, roots, recursive=False)


# --- changes outside the sandbox -------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("kubectl scale deployment coredns -n kube-system --replicas=0", "namespace kube-system"),
        ("kubectl label node minikube a=b", "nodes are cluster-wide"),
        ("kubectl annotate ns kube-system a=b", "namespaces are cluster-wide"),
        ("kubectl rollout restart deployment/web -n other", "namespace other"),
    ],
)
def test_changes_outside_the_sandbox_are_refused(site, command, why):
    message = refused(site, command, front="{sandbox: true}")
    assert message.startswith(f"p.md:8: refusing to run `{command}`: ")
    assert why in message and "allow_destructive: true" in message
    assert plan(site, command, front="{sandbox: true, allow_destructive: true}").snippets


def test_changes_inside_the_sandbox_and_of_what_the_page_made(site):
    assert plan(
        site,
        "kubectl scale deployment web --replicas=0",
        "kubectl label ns kc-p tier=demo",
        "kubectl create namespace demo",
        "kubectl label ns demo a=b",
        "kubectl set image deployment/web web=nginx:1.27",
        front="{sandbox: true}",
    ).snippets
    # without a sandbox: namespaced changes in the page's own namespaces (the context's,
    # default, one it created), nothing cluster-wide
    assert plan(site, "kubectl create deployment web --image=x").snippets
    assert plan(site, "kubectl create deployment web -n default --image=x").snippets
    assert plan(
        site, "kubectl create namespace demo", "kubectl create deployment web -n demo --image=x"
    ).snippets
    assert "namespace other, outside the page's own" in refused(
        site, "kubectl create deployment web -n other --image=x"
    )
    assert "cluster-wide" in refused(site, "kubectl label ns default a=b")


def test_cluster_wide_objects_in_manifests_need_the_page_to_allow_it(site):
    (site / "snippets/manifests/crb.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata: {name: x}\nroleRef: {kind: ClusterRole, name: view, apiGroup: x}\n"
    )
    command = "kubectl apply -f snippets/manifests/crb.yaml"
    assert "holds a ClusterRoleBinding, which is cluster-wide" in refused(site, command)
    # cluster-wide, and a grant of rights: each is a permission of its own
    assert "allow_rbac: true" in refused(site, command, front="{allow_destructive: true}")
    front = "{allow_destructive: true, allow_rbac: true}"
    assert plan(site, command, front=front).snippets


# --- kubecapture's own labels ----------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "kubectl label ns kc-p app.kubernetes.io/managed-by=kubecapture",
        "kubectl label ns kc-p app.kubernetes.io/managed-by-",
        "kubectl annotate pod web kubecapture.io/owner=me",
        "kubectl run web --image=x -l app.kubernetes.io/managed-by=kubecapture",
        'kubectl patch ns kc-p -p {"metadata":{"labels":{"a":"kubecapture"}}}',
        # the Pod Security level kubecapture holds a sandbox's pods to
        "kubectl label ns kc-p pod-security.kubernetes.io/enforce=privileged --overwrite",
        "kubectl label ns kc-p pod-security.kubernetes.io/enforce-",
        "kubectl patch ns kc-p -p "
        '{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":null}}}',
    ],
)
def test_kubecaptures_own_labels_are_refused(site, command):
    message = refused(site, command, front="{sandbox: true, allow_destructive: true}")
    assert "kubecapture" in message and message.startswith("p.md:")


def test_a_manifest_with_the_label_is_refused(site):
    (site / "snippets/manifests/ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kc-p\n"
        '  labels: {app.kubernetes.io/managed-by: "\\x6Bubecapture"}\n'  # escaped in YAML
    )
    message = refused(
        site, "kubectl apply -f snippets/manifests/ns.yaml", front="{allow_destructive: true}"
    )
    assert "app.kubernetes.io/managed-by=kubecapture" in message
