"""How the files in this folder were made (run once; the tests never read /work/shared).

    python tests/data/drift/extract.py /work/shared/cluster-recordings \
        /work/shared/seed/000_72419b23eeb91bd0.txt

- recordings.json: every command of seed-notes.json, workloads.json and errors.json
  (real kubectl v1.37.1 against a real Kubernetes v1.24.0 API server), verbatim.
- seed-v1.22.2.json: the outputs hand-pasted in the original notes (minikube, v1.22.2).
- wide-tables.json: `-o wide` tables the recordings don't print, rendered from the server
  Tables in traffic.jsonl.gz (kubectl asks the server for a Table with all columns and
  prints them with Go's tabwriter: padding 3, min width 6). `render` reproduces the
  recorded `kubectl get node -o wide` byte for byte, which this script checks.
"""

import gzip
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent


def render(columns: list[str], rows: list[list[str]]) -> str:
    """kubectl's tabwriter: every column but the last padded to its widest cell + 3."""
    table = [columns, *rows]
    widths = [max(6, max(len(r[i]) for r in table) + 3) for i in range(len(columns) - 1)]
    lines = ["".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + r[-1] for r in table]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def server_table(traffic: Path, seq: int, prefix: str = "") -> str:
    with gzip.open(traffic, "rt") as f:
        for line in f:
            e = json.loads(line)
            if e["seq"] == seq:
                body = json.loads(e["response_body"])
                break
    columns = [c["name"].upper() for c in body["columnDefinitions"]]
    rows = [[str(c) for c in r["cells"]] for r in body["rows"]]
    for r in rows:
        r[0] = prefix + r[0]
    return render(columns, rows)


def seed_outputs(notes: Path) -> list[dict]:
    """`$ kubectl …` followed by pasted lines, up to the next blank line."""
    out = []
    for m in re.finditer(r"^\$ (kubectl [^\n]*)\n((?:[^\n]+\n)+)", notes.read_text(), re.M):
        if not m.group(2).startswith("$"):
            out.append({"command": m.group(1).strip(), "stdout": m.group(2)})
    return out


def main(recordings: Path, notes: Path) -> None:
    outputs = []
    for scenario in ("seed-notes", "workloads", "errors"):
        for c in json.loads((recordings / f"{scenario}.json").read_text())["commands"]:
            keep = {k: c[k] for k in ("command", "exit_code", "stdout", "stderr")}
            outputs.append({"scenario": scenario, **keep})
    (HERE / "recordings.json").write_text(json.dumps(outputs, indent=1, ensure_ascii=False) + "\n")

    seed = [o for o in seed_outputs(notes) if o["command"] != "kubectl config current-context"]
    (HERE / "seed-v1.22.2.json").write_text(json.dumps(seed, indent=1, ensure_ascii=False) + "\n")

    traffic = recordings / "traffic.jsonl.gz"
    recorded = next(o for o in outputs if o["command"] == "kubectl get node -o wide")
    assert server_table(traffic, 34) == recorded["stdout"], "renderer differs from kubectl"
    wide = {
        "kubectl get pod --namespace kube-system -o wide": server_table(traffic, 38),
        "kubectl get deploy -n notes-sandbox -o wide": server_table(traffic, 160),
        "kubectl get rs -n notes-sandbox -o wide": server_table(traffic, 200),
    }
    (HERE / "wide-tables.json").write_text(json.dumps(wide, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
