"""Redaction: what is masked in command output before it is stored or rendered."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from kubecapture.captures.store import CommandResult
from kubecapture.trust import redact
from kubecapture.trust.redact import MASK, Redactor

RECORDINGS = Path(__file__).parent / "recordings" / "workloads.json"
PASSWORD = "notes-s3cret-pw"
PASSWORD_B64 = "bm90ZXMtczNjcmV0LXB3"


def recorded(command_start: str) -> str:
    for c in json.loads(RECORDINGS.read_text())["commands"]:
        if c["command"].startswith(command_start):
            return c["stdout"]
    raise KeyError(command_start)


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


# --- known values (what the cluster's Secrets hold) --------------------------------------


def recorded_commands() -> list[str]:
    return [c["command"] for c in json.loads(RECORDINGS.read_text())["commands"]]


def test_recorded_secret_outputs_lose_raw_and_base64_values():
    # public: the walk-through's own commands (`-n notes-sandbox`: the namespace's name
    # shares "notes-s" with the password, and is no secret)
    r = Redactor({PASSWORD, "study"}, public=recorded_commands())
    as_yaml = r(recorded("kubectl get secret db-credentials -n notes-sandbox -o yaml"))
    assert PASSWORD not in as_yaml and PASSWORD_B64 not in as_yaml
    assert f"password: {MASK}" in as_yaml
    # the last-applied annotation held stringData in clear, the short username too
    assert f'"stringData":{{"password":"{MASK}","username":"{MASK}"}}' in as_yaml
    assert "name: db-credentials" in as_yaml and "type: Opaque" in as_yaml

    jsonpath = recorded("kubectl get secret db-credentials -n notes-sandbox -o jsonpath")
    assert jsonpath == PASSWORD_B64
    assert r(jsonpath) == MASK

    described = recorded("kubectl describe secret db-credentials")
    assert r(described) == described  # only byte counts: nothing to mask


def test_every_recorded_output_is_free_of_the_secret():
    r = Redactor({PASSWORD, "study"})
    for c in json.loads(RECORDINGS.read_text())["commands"]:
        for text in (c["stdout"], c["stderr"]):
            masked = r(text)
            assert PASSWORD not in masked and PASSWORD_B64 not in masked, c["command"]


def test_values_below_the_minimum_length_are_not_masked_in_prose():
    # "web" and "admin" are Secret values here, but masking them everywhere would wreck
    # every table; their base64 forms and Secret dumps are still masked.
    r = Redactor({"web", "admin", "abcdef"})
    table = "NAME   READY   UP-TO-DATE\nweb    2/2     2\nadmin-tool 1/1 1\n"
    assert r(table) == table
    assert r("token abcdef here") == f"token {MASK} here"  # 6 characters: masked
    assert r(f"value: {b64('admin')}\n") == f"value: {MASK}\n"  # 8 base64 characters


def test_exact_output_of_a_short_secret_is_masked():
    r = Redactor({"pw"})
    assert r(b64("pw")) == MASK  # jsonpath={.data.x} of a 2-byte value
    assert r("pw\n") == "pw\n"  # too short to tell from ordinary text


def test_multiline_value_is_masked_reindented_and_json_escaped():
    value = "[db]\nuser = study-group\npassword = correct-horse\n"
    r = Redactor({value})
    block = (
        "config.ini: |\n    [db]\n    user = study-group\n    password = correct-horse\nnext: 1\n"
    )
    assert "correct-horse" not in r(block)
    assert "next: 1" in r(block)
    escaped = '{"config.ini":"[db]\\nuser = study-group\\npassword = correct-horse\\n"}'
    assert "correct-horse" not in r(escaped)
    assert b64(value) not in r(f"data: {b64(value)}")


def test_longest_value_wins_when_values_overlap():
    r = Redactor({"secret-value", "secret-value-extended"})
    assert r("x secret-value-extended y") == f"x {MASK} y"


def test_pieces_of_a_value_are_masked_whatever_printed_them():
    # a Go template printing a decoded value in parts:
    # {{$v := index .data "password" | base64decode}}{{slice $v 0 7}} {{slice $v 7}}
    r = Redactor({PASSWORD})
    out = r("notes-s 3cret-pw\nfirst=notes-s3c;last=cret-pw.\n")
    for piece in ("notes-s", "3cret-pw", "notes-s3c", "cret-pw"):
        assert piece not in out
    assert out.startswith(f"{MASK} {MASK}\nfirst={MASK};last={MASK}.")
    # slices of the stored (base64) form
    assert PASSWORD_B64[:10] not in r(f"a={PASSWORD_B64[:10]} b={PASSWORD_B64[10:]}")
    assert PASSWORD_B64[10:] not in r(f"a={PASSWORD_B64[:10]} b={PASSWORD_B64[10:]}")


def test_pieces_the_page_shows_itself_are_not_masked():
    value = "not-a-real-password"
    described = "Data\n====\npassword:  19 bytes\nusername:  5 bytes\n"
    assert "password:" not in Redactor({value})(described)  # a piece, page unknown
    command = "kubectl create secret generic demo --from-literal=password=not-a-real-password"
    assert Redactor({value}, public=[command])(described) == described
    # a run longer than what the page shows is masked whole
    assert "password" not in Redactor({value}, public=["password"])("is real-password")


def test_certificate_armour_is_not_a_piece_of_a_key():
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7xyz\n-----END RSA PRIVATE KEY-----\n"
    ca = "ca.crt: |\n  -----BEGIN CERTIFICATE-----\n  MIIC5zCCAc+gAwIBAgIBATAN\n"
    assert Redactor({key})(ca) == ca
    assert "AAKCAQEA7x" not in Redactor({key})("key part AAKCAQEA7x\n")


def test_redact_result_masks_stdout_and_stderr():
    result = CommandResult("kubectl get x", 1, f"out {PASSWORD}\n", f"err {PASSWORD_B64}\n")
    masked = redact.redact_result(result, {PASSWORD})
    assert masked.stdout == f"out {MASK}\n" and masked.stderr == f"err {MASK}\n"
    assert masked.command == "kubectl get x" and masked.exit_code == 1


# --- Secrets printed as objects, values unknown ------------------------------------------

DRY_RUN_YAML = """\
apiVersion: v1
data:
  password: aHVudGVyMg==
  tls.key: |
    LS0tLS1CRUdJTi
    BQUklWQVRFIEtF
  username: YQ==
kind: Secret
metadata:
  creationTimestamp: null
  name: demo
"""

SECRET_JSON = """\
{
    "apiVersion": "v1",
    "data": {
        "password": "aHVudGVyMg==",
        "username": "YQ=="
    },
    "kind": "Secret",
    "metadata": {
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{\\"apiVersion\\":\\"v1\\",\
\\"kind\\":\\"Secret\\",\\"metadata\\":{\\"annotations\\":{},\\"name\\":\\"demo\\"},\
\\"stringData\\":{\\"password\\":\\"hunter2\\",\\"username\\":\\"a\\"},\\"type\\":\\"Opaque\\"}\\n"
        },
        "name": "demo"
    },
    "type": "Opaque"
}
"""


def test_secret_yaml_dump_is_masked_without_knowing_the_values():
    masked = Redactor()(DRY_RUN_YAML)
    assert "aHVudGVyMg==" not in masked and "YQ==" not in masked
    assert "LS0tLS1CRUdJTi" not in masked and "BQUklWQVRFIEtF" not in masked
    assert f"  password: {MASK}\n" in masked and f"  tls.key: {MASK}\n" in masked
    assert masked.endswith("kind: Secret\nmetadata:\n  creationTimestamp: null\n  name: demo\n")


def test_secret_json_dump_and_escaped_annotation_are_masked():
    masked = Redactor()(SECRET_JSON)
    assert "aHVudGVyMg==" not in masked and "hunter2" not in masked
    assert f'"password": "{MASK}",' in masked
    assert f'\\"stringData\\":{{\\"password\\":\\"{MASK}\\",\\"username\\":\\"{MASK}\\"}}' in masked
    assert json.loads(masked)["metadata"]["name"] == "demo"  # still valid JSON


def test_secret_list_yaml_items_are_masked():
    text = (
        "apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n    token: c2hvcnQ=\n"
        "  kind: Secret\n  metadata:\n    name: a\nkind: List\n"
    )
    masked = Redactor()(text)
    assert "c2hvcnQ=" not in masked and f"    token: {MASK}\n" in masked
    assert "    name: a\n" in masked


def test_configmap_data_is_left_alone():
    text = "apiVersion: v1\ndata:\n  color: blue\n  size: large\nkind: ConfigMap\n"
    assert Redactor()(text) == text
    one_line = '{"apiVersion":"v1","data":{"color":"blue"},"kind":"ConfigMap"}'
    assert Redactor()(one_line) == one_line


# --- things that look like credentials ---------------------------------------------------


def test_private_key_block_is_masked_keeping_its_markers():
    key = (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabcdefghijklmnop\n"
        "-----END RSA PRIVATE KEY-----"
    )
    masked = Redactor()(f"key:\n{key}\nafter\n")
    assert "MIIEowIBAAKCAQEA7" not in masked
    assert "-----BEGIN RSA PRIVATE KEY-----\n" + MASK + "\n-----END RSA PRIVATE KEY-----" in masked
    assert masked.endswith("after\n")
    truncated = Redactor()("-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n")
    assert "MIIEowIBAAKCAQEA7" not in truncated


def test_tokens_are_masked_but_help_text_is_not():
    jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXBhcnQ"
    assert Redactor()(f"{jwt}\n") == f"{MASK}\n"
    header = "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123\n"
    assert Redactor()(header) == f"Authorization: Bearer {MASK}\n"
    help_text = "      --token='': Bearer token for authentication to the API server\n"
    assert Redactor()(help_text) == help_text


def test_kubeconfig_credentials_are_masked_but_kubectl_placeholders_kept():
    raw = (
        "users:\n- name: minikube\n  user:\n"
        "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n"
        "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==\n"
        "    token: 0123456789abcdef0123\n"
    )
    masked = Redactor()(raw)
    assert "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ" not in masked
    assert "0123456789abcdef0123" not in masked
    assert f"    token: {MASK}\n" in masked
    view = "    client-certificate-data: DATA+OMITTED\n    token: REDACTED\n"
    assert Redactor()(view) == view
    as_json = '{"token":"0123456789abcdef0123","password":"hunter2-is-long"}'
    assert Redactor()(as_json) == f'{{"token":"{MASK}","password":"{MASK}"}}'


def test_describe_byte_counts_and_type_columns_survive():
    text = (
        "Data\n====\npassword:  15 bytes\ntoken:     1099 bytes\n\n"
        "NAME      TYPE                                  DATA   AGE\n"
        "bt        bootstrap.kubernetes.io/token         3      5d\n"
    )
    assert Redactor()(text) == text
