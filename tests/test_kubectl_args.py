"""The argument model reads a command line as kubectl does, or refuses it.

Unit tests of `kubectl_args.parse`, then a comparison with kubectl itself: commands that
kubectl can run without a cluster (`--dry-run=client -o json`) print the object they
would send, and what it says (namespace, labels, images, the container's command) must
be what the model read.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from kubecapture.trust.kubectl_args import Refused, parse

BOOLS = {
    **{v: True for v in ("1", "t", "T", "TRUE", "true", "True")},
    **{v: False for v in ("0", "f", "F", "FALSE", "false", "False")},
}


def argv(command: str) -> list[str]:
    return command.split()


def refuses(command: str | list[str]) -> str:
    with pytest.raises(Refused) as e:
        parse(argv(command) if isinstance(command, str) else command)
    return e.value.reason


@pytest.mark.parametrize(("written", "value"), sorted(BOOLS.items()))
def test_booleans_read_every_form_go_reads(written, value):
    p = parse(argv(f"kubectl get pods --all-namespaces={written}"))
    assert p.all_namespaces is value
    assert p.flags["all-namespaces"] == (value,)
    assert parse(argv(f"kubectl get pods -A={written}")).all_namespaces is value


@pytest.mark.parametrize("written", ["yes", "on", "", "2", "tRUE"])
def test_a_boolean_go_does_not_read_is_refused(written):
    refuses(f"kubectl get pods --all-namespaces={written}")


@pytest.mark.parametrize(
    "command",
    [
        "kubectl get pods -o yaml",
        "kubectl get pods -oyaml",
        "kubectl get pods -o=yaml",
        "kubectl get pods --output yaml",
        "kubectl get pods --output=yaml",
        "kubectl get -o yaml pods",
    ],
)
def test_every_way_to_write_a_value(command):
    p = parse(argv(command))
    assert p.path == ("get",) and p.last("output") == "yaml" and p.positionals == ("pods",)


def test_short_booleans_bundle_and_the_last_one_may_take_a_value():
    p = parse(argv("kubectl get pods -Awoyaml"))
    assert p.all_namespaces and p.true("watch") and p.last("output") == "yaml"
    p = parse(argv("kubectl get pods -Ao yaml"))
    assert p.all_namespaces and p.last("output") == "yaml"
    p = parse(argv("kubectl get pods -Al=app=web"))
    assert p.last("selector") == "app=web"


def test_a_value_flag_takes_the_next_word_so_a_flag_there_is_refused():
    # pflag would read `--all-namespaces` as the namespace: refused as ambiguous
    assert "as the value of `-n`" in refuses("kubectl get pods -n --all-namespaces")
    assert parse(argv("kubectl delete pod web --grace-period -1")).last("grace-period") == -1


def test_dash_dash_ends_the_flags_only_where_kubectl_takes_a_command():
    assert "`--` is not allowed" in refuses("kubectl delete -- namespace kube-system")
    p = parse(argv("kubectl exec web -- env --context prod -n x"))
    assert p.after_dash == ("env", "--context", "prod", "-n", "x") and not p.has("context")
    p = parse(argv("kubectl create deployment web --image=nginx -- sleep 10"))
    assert p.after_dash == ("sleep", "10") and p.positionals == ("web",)


def test_commands_and_plugins():
    assert parse(argv("kubectl create ns demo")).path == ("create", "namespace")
    assert parse(argv("kubectl top no")).path == ("top", "node")
    assert parse(argv("kubectl create secret generic s")).path == ("create", "secret", "generic")
    assert "kubectl-create-foo" in refuses("kubectl create foo")
    assert "kubectl-ctx" in refuses("kubectl ctx prod")
    assert "kubectl-create-secret-foo" in refuses("kubectl create secret foo x")
    # `-f`'s value is not a command word
    assert parse(argv("kubectl create -f deployment")).path == ("create",)


def test_only_plain_global_flags_may_come_before_the_command():
    for command in (
        "kubectl -n kube-system get pods",
        "kubectl -nkube-system get pods",
        "kubectl --namespace=kube-system get pods",
        "kubectl -n kube-system --warnings-as-errors get pods",
    ):
        p = parse(argv(command))
        assert p.path == ("get",) and p.namespace == "kube-system", command
    refuses("kubectl -o yaml get pods")  # cobra would skip `yaml`, pflag agrees: still odd
    refuses("kubectl --help get pods")  # cobra adds --help to the root only later
    refuses("kubectl create --dry-run=client deployment web --image=x")
    refuses("kubectl -- get pods")


def test_unknown_hidden_and_disguised_flags_are_refused():
    assert "has no flag" in refuses("kubectl get pods --no-such-flag")
    assert "has no flag -Z" in refuses("kubectl get pods -Z")
    assert "write it `--all-namespaces`" in refuses("kubectl get pods --all_namespaces")
    assert "-test." in refuses("kubectl get pods -test.v")
    refuses("kubectl get pods ---all-namespaces")
    refuses("kubectl get pods --=x")


def test_kuberc_is_refused_wherever_kubectl_would_read_it():
    # kubectl reads --kuberc before pflag: even as the value of another flag
    refuses("kubectl get pods -l --kuberc=/tmp/evil")
    refuses(["kubectl", "get", "pods", "--selector", "--kuberc", "/tmp/evil"])
    # after `--` it is the container's argument
    p = parse(argv("kubectl exec web -- cat --kuberc=/x"))
    assert p.after_dash == ("cat", "--kuberc=/x")


def test_lists_split_at_commas_as_kubectl_does():
    p = parse(argv("kubectl get -f a.yaml,b.yaml -f c.yaml"))
    assert p.values("filename") == ["a.yaml", "b.yaml", "c.yaml"]
    assert p.files() == [("filename", n) for n in ("a.yaml", "b.yaml", "c.yaml")]
    p = parse(argv("kubectl create configmap c --from-literal=a=b,c=d"))  # stringArray
    assert p.values("from-literal") == ["a=b,c=d"]
    refuses(["kubectl", "get", "-f", '"a,b".yaml'])  # CSV quoting is not read here


def test_dry_run_is_normalized_as_kubectl_reads_it():
    for written, dry in [
        ("--dry-run", True),
        ("--dry-run=client", True),
        ("--dry-run=server", True),
        ("--dry-run=true", True),
        ("--dry-run=1", True),
        ("--dry-run=none", False),
        ("--dry-run=0", False),
        ("--dry-run=F", False),
    ]:
        assert parse(argv(f"kubectl delete ns x {written}")).dry_run is dry, written
    refuses("kubectl delete ns x --dry-run=maybe")


def test_values_that_checks_read():
    refuses("kubectl get pods -n Kube_System")
    refuses("kubectl get pods -v=6")
    assert parse(argv("kubectl get pods -v=4")).last("v") == 4
    refuses("kubectl get pods -o yamlx")
    assert parse(argv("kubectl get pods -o go-template-file=t.tmpl")).files() == [
        ("output", "t.tmpl")
    ]
    p = parse(argv("kubectl get pods -o go-template-file --template=snippets/t.tmpl"))
    assert p.files() == [("template", "snippets/t.tmpl")]
    p = parse(argv("kubectl create configmap c --from-file=key=docs/a.txt --from-file=b.txt"))
    assert p.files() == [("from-file", "docs/a.txt"), ("from-file", "b.txt")]
    refuses("kubectl run web --image=x --labels=app.kubernetes.io/managed-by=kubecapture")


def test_a_nul_byte_is_refused():
    refuses(["kubectl", "get", "pods\x00x"])


def test_read_only_and_waits_follow_the_data():
    assert parse(argv("kubectl get pods --all-namespaces=1")).effect == "read"
    assert parse(argv("kubectl delete ns x --dry-run=client")).effect == "read"
    assert parse(argv("kubectl delete ns x --dry-run=0")).effect == "destructive"
    assert parse(argv("kubectl logs -f web")).waits
    assert not parse(argv("kubectl describe -f snippets/a.yaml")).waits
    assert parse(argv("kubectl get pods -w=true")).waits
    assert not parse(argv("kubectl get pods -w=false")).waits


# --- the model agrees with kubectl -----------------------------------------------------------

AGREE = [
    "kubectl create configmap c --dry-run=client -o json -n team-a --from-literal=a=b,c=d",
    "kubectl -n team-b create configmap c --dry-run=client -o json --from-literal=x=1",
    "kubectl -nteam-c create cm c --dry-run -o json",
    "kubectl create configmap c --dry-run=client --namespace=team-d -o=json",
    "kubectl create job j --image=busybox --dry-run=client -ojson -- sleep 10 -n x",
    "kubectl create job j --image busybox -n=team-e --dry-run=client -o json",
    "kubectl create deployment web --image=nginx,busybox --dry-run=client -o json",
    "kubectl create deployment web --image nginx --image=redis -r 3 --dry-run=client -o json",
    "kubectl create deployment web --image=busybox --dry-run=1 -o json -- sleep 1",
    "kubectl create service clusterip s --tcp=80:8080,443:8443 --dry-run=client -o json",
    "kubectl create service clusterip s --tcp 80:8080 --tcp=1:2 --dry-run=client -o json",
]


def kubectl_object(kubectl_bin, args: list[str], tmp_path) -> dict:
    env = {"HOME": str(tmp_path), "KUBECONFIG": os.devnull, "KUBERC": "off", "PATH": ""}
    done = subprocess.run(
        [str(kubectl_bin), *args[1:]], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("command", AGREE)
def test_what_the_model_reads_is_what_kubectl_does(command, kubectl_bin, tmp_path):
    p = parse(argv(command))
    obj = kubectl_object(kubectl_bin, argv(command), tmp_path)
    assert obj["metadata"].get("namespace") == p.namespace
    assert p.dry_run
    if p.path == ("create", "configmap"):
        literal = dict(v.split("=", 1) for v in p.values("from-literal"))
        assert obj.get("data", {}) == literal
    elif p.path == ("create", "service", "clusterip"):
        ports = [f"{q['port']}:{q['targetPort']}" for q in obj["spec"]["ports"]]
        assert ports == p.values("tcp")
    else:  # create job / deployment: one container per image, the command after `--`
        containers = obj["spec"]["template"]["spec"]["containers"]
        assert [c["image"] for c in containers] == p.values("image")
        command = list(p.after_dash) if p.after_dash else None
        assert [c.get("command") for c in containers] == [command] * len(containers)
        if p.path == ("create", "deployment"):
            assert obj["spec"]["replicas"] == (p.last("replicas") or 1)
