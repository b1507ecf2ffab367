"""Every plugin option is documented in the author guide's settings table, and every
documented option exists: the table in docs/how-it-works.md and `KubeCaptureConfig`
are kept in step (an option added without a row, or a row left for a removed option,
fails here)."""

from __future__ import annotations

import re
from pathlib import Path

from kubecapture.base.config import KubeCaptureConfig

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "how-it-works.md"
SECTION = "プラグインの設定"  # the guide's heading of the settings table


def documented_options(text: str) -> list[str]:
    """The option names in the first column of the table under the settings heading."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("## ") and SECTION in line)
    names = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if m := re.match(r"\|\s*`([a-z_]+)`\s*\|", line):
            names.append(m.group(1))
    return names


def config_options() -> set[str]:
    return {name for name, _option in KubeCaptureConfig._schema}


def test_every_option_is_documented_once_and_every_documented_option_exists():
    documented = documented_options(GUIDE.read_text(encoding="utf-8"))
    assert documented, f"no settings table under '## {SECTION}' in {GUIDE}"
    duplicates = sorted({n for n in documented if documented.count(n) > 1})
    assert not duplicates, f"documented twice in {GUIDE.name}: {duplicates}"
    missing = sorted(config_options() - set(documented))
    assert not missing, f"options of KubeCaptureConfig without a row in {GUIDE.name}: {missing}"
    unknown = sorted(set(documented) - config_options())
    assert not unknown, f"rows in {GUIDE.name} for options KubeCaptureConfig lacks: {unknown}"


def test_the_table_parser_sees_a_missing_row():
    """The check has teeth: a guide without one row is caught."""
    text = GUIDE.read_text(encoding="utf-8")
    without_mode = "\n".join(line for line in text.splitlines() if not line.startswith("| `mode`"))
    assert "mode" in documented_options(text)
    assert "mode" not in documented_options(without_mode)
