"""The allowlist data against the installed kubectl.

kubectl_tree.json must be what `python -m kubecapture.trust.allowlist_gen` makes of the pinned
kubectl, and every command and flag kubectl_allowlist.json allows must exist in the
installed kubectl with the type the allowlist states. A kubectl that adds a flag leaves
it refused until the allowlist names it.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from kubecapture.trust import allowlist, allowlist_gen, kubectl_args
from kubecapture.trust.allowlist import DataError
from kubecapture.trust.kubectl_args import Refused


@pytest.fixture(scope="module")
def generated(kubectl_bin, tmp_path_factory) -> dict:
    """The tree generated now from the installed kubectl (about 20 s)."""
    return allowlist_gen.generate(str(kubectl_bin))


def write(tmp_path, tree: dict):
    path = tmp_path / "tree.json"
    path.write_text(allowlist_gen.dumps(tree), encoding="utf-8")
    return path


def test_the_checked_in_tree_is_what_the_pinned_kubectl_says(generated):
    checked_in = json.loads(allowlist.TREE_FILE.read_text(encoding="utf-8"))
    if generated["kubectl"] != checked_in["kubectl"]:
        pytest.skip(
            f"kubectl {generated['kubectl']} is installed, the tree is of "
            f"{checked_in['kubectl']}: run python -m kubecapture.trust.allowlist_gen"
        )
    assert allowlist_gen.dumps(generated) == allowlist.TREE_FILE.read_text(encoding="utf-8")


def test_everything_allowed_exists_in_the_installed_kubectl_with_its_type(generated, tmp_path):
    data = allowlist.load(write(tmp_path, generated))  # raises DataError on any mismatch
    allowed = [c for c in data.commands.values() if c.allowed]
    assert len(allowed) > 40
    for command in allowed:
        for flag in command.flags.values():
            if flag.allowed and flag.name != "help":
                raw = generated["commands"][" ".join(command.path)]["flags"].get(
                    flag.name
                ) or generated["global_flags"].get(flag.name)
                assert raw["type"] == flag.type, (command.name, flag.name)


def test_a_flag_a_new_kubectl_adds_stays_refused(tmp_path):
    tree = json.loads(allowlist.TREE_FILE.read_text(encoding="utf-8"))
    tree["commands"]["get"]["flags"]["exfiltrate-to"] = {"type": "string"}
    tree["global_flags"]["upload-everything"] = {"type": "bool"}
    data = allowlist.load(write(tmp_path, tree))
    for command in (
        "kubectl get pods --exfiltrate-to=x",
        "kubectl get pods --upload-everything",
        "kubectl -n x --upload-everything get pods",
    ):
        with pytest.raises(Refused):
            kubectl_args.parse(command.split(), data)
    assert kubectl_args.parse("kubectl get pods".split(), data).path == ("get",)


def test_a_flag_whose_type_changes_fails_loading(tmp_path):
    tree = json.loads(allowlist.TREE_FILE.read_text(encoding="utf-8"))
    tree["commands"]["get"]["flags"]["all-namespaces"]["type"] = "string"
    with pytest.raises(DataError, match="get.all-namespaces"):
        allowlist.load(write(tmp_path, tree))
    del tree["commands"]["get"]["flags"]["all-namespaces"]
    with pytest.raises(DataError, match="all-namespaces"):
        allowlist.load(write(tmp_path, tree))


def test_every_decision_has_a_reason():
    data = allowlist.default()
    for command in data.commands.values():
        if command.allowed:
            assert command.why, command.name
    for name in ("proxy", "port-forward", "attach", "edit", "cp", "debug", "plugin"):
        command = data.commands[(name,)]
        assert not command.allowed and command.why, name
    for name in ("raw", "proxy-url", "profile-output", "cache-dir", "kubeconfig", "as"):
        assert data.refused_flags[name], name


def test_the_table_lists_exactly_what_is_allowed():
    data = allowlist.default()
    table = allowlist.markdown_table(data)
    rows = [line for line in table.splitlines() if line.startswith("| `kubectl")]
    names = [re.match(r"\| `([^`]*)`", row)[1] for row in rows]
    assert names == sorted(c.name for c in data.commands.values() if c.allowed)
    get = next(row for row in rows if row.startswith("| `kubectl get` |"))
    assert "`-A, --all-namespaces`" in get and "--raw" not in get and "--kustomize" not in get
    assert "kubectl proxy" not in table and "--proxy-url" not in table
    figures = allowlist.figures(data)
    assert figures["commands_allowed"] + figures["commands_opt_in"] == len(rows)
    assert figures["commands_allowed"] < figures["commands"]
    assert figures["command_flags_allowed"] < figures["command_flags"]


def test_a_page_marker_becomes_the_table(tmp_path, kube_env):
    from sites import build, make_site, page_html

    text = (
        "# 安全\n\n<!-- kubecapture: allowlist -->\n\n"
        "```markdown\n<!-- kubecapture: allowlist -->\n```\n"
    )
    site = make_site(tmp_path / "site", {"index.md": text})
    config = yaml.safe_load(site.read_text())
    config["markdown_extensions"] += ["tables", {"kubecapture.fence": {"lang": "ja"}}]
    site.write_text(yaml.safe_dump(config, allow_unicode=True))
    built = build(site, kube_env, "--strict", mode="replay")
    assert built.returncode == 0, built.log
    html = page_html(site)
    assert html.count("<table>") == 1
    assert "<code>kubectl get</code>" in html and "読むだけ" in html
    assert "kubectl proxy" not in html and "proxy-url" not in html
    assert "&lt;!-- kubecapture: allowlist --&gt;" in html  # the one in a code block stays
