"""`kubecapture share` and `kubecapture handout` on a site that is not this repository's
(issue 27): the refusal names what to add to mkdocs.yml, share leaves site/ alone and zips
the handout and a note, the handout takes the nav's pages or a section's, numbers its
table of contents, maps kanji right in its text layer and prints only the site's own
files (issue 26)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import CHROMIUM
from sites import kubecapture, make_site, offline_env

PAGE = '# 入門\n\n門の話です。\n\n```kubectl id="ns"\nkubectl get namespace\n```\n'
KANGXI = re.compile(r"[\u2e80-\u2fdf\uf900-\ufaff]")


def offline_site(root: Path, pages: dict[str, str], nav=None) -> Path:
    """A Material site set up as the guide says for `kubecapture share`."""
    config_file = make_site(root, pages)
    config = yaml.safe_load(config_file.read_text())
    config["plugins"] = ["search", *config["plugins"], "offline"]
    if nav is not None:
        config["nav"] = nav
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True))
    return config_file


def test_share_refuses_a_site_and_says_what_to_add_to_mkdocs_yml(tmp_path):
    config_file = make_site(tmp_path / "a", {"index.md": PAGE})
    done = kubecapture(config_file, offline_env(), "share")
    assert done.returncode == 1
    assert "add `- offline` under `plugins:`" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "a" / "site.zip").exists()

    config = yaml.safe_load(config_file.read_text())
    config["theme"] = {"name": "mkdocs"}
    config_file.write_text(yaml.safe_dump(config))
    done = kubecapture(config_file, offline_env(), "share")
    assert done.returncode == 1
    assert "set `theme: {name: material, font: false}`" in done.stderr

    config["theme"] = {"name": "material"}  # Google Fonts
    config["plugins"].append("offline")
    config_file.write_text(yaml.safe_dump(config))
    done = kubecapture(config_file, offline_env(), "share")
    assert done.returncode == 1 and "add `font: false` under `theme:`" in done.stderr


def test_share_zips_the_site_with_the_handout_and_a_note_and_leaves_site_alone(tmp_path):
    config_file = offline_site(tmp_path / "s", {"index.md": PAGE, "b.md": "# B\n"})
    root = config_file.parent
    (root / "site").mkdir()
    (root / "site" / "handout.pdf").write_bytes(b"%PDF- an earlier one")
    (root / "handout.pdf").write_bytes(b"%PDF- the handout")
    (root / "manifests").mkdir()
    (root / "manifests" / "pod.yaml").write_text("kind: Pod\n")
    done = kubecapture(config_file, offline_env(), "share", "--with", "manifests")
    assert done.returncode == 0, done.log
    assert "site.zip:" in done.stdout and "handout.pdf" in done.stdout
    assert (root / "site" / "handout.pdf").read_bytes() == b"%PDF- an earlier one"
    with zipfile.ZipFile(root / "site.zip") as z:
        names = z.namelist()
        note = z.read("README.txt").decode()
        assert z.read("handout.pdf") == b"%PDF- the handout"
    assert {"site/index.html", "site/b.html", "manifests/pod.yaml"} <= set(names)
    assert "site/index.html" in note and "handout.pdf" in note and "manifests/" in note

    first = (root / "site.zip").read_bytes()
    done = kubecapture(config_file, offline_env(), "share", "--with", "manifests", "--no-pdf")
    with zipfile.ZipFile(root / "site.zip") as z:
        assert "handout.pdf" not in z.namelist() and b"handout.pdf" not in z.read("README.txt")
    assert (root / "site.zip").read_bytes() != first

    # A handout older than the pages: zipped, and the author told to make it again.
    os.utime(root / "handout.pdf", (1_000_000_000, 1_000_000_000))
    done = kubecapture(config_file, offline_env(), "share")
    assert done.returncode == 0 and "handout.pdf is older than docs/" in done.stdout

    done = kubecapture(config_file, offline_env(), "share", "--with", "../elsewhere")
    assert done.returncode == 1 and "give a folder inside" in done.stderr


def test_share_refuses_mermaid_from_the_cdn(tmp_path):
    config_file = offline_site(
        tmp_path / "m", {"index.md": "# M\n\n```mermaid\ngraph LR\n  a-->b\n```\n"}
    )
    config = yaml.safe_load(config_file.read_text())
    config["markdown_extensions"] = [
        "admonition",
        "pymdownx.highlight",
        {
            "pymdownx.superfences": {
                "custom_fences": [
                    {
                        "name": "mermaid",
                        "class": "mermaid",
                        "format": "!!python/name:pymdownx.superfences.fence_code_format",
                    }
                ]
            }
        },
    ]
    text = yaml.safe_dump(config, allow_unicode=True)
    text = text.replace(
        "'!!python/name:pymdownx.superfences.fence_code_format'",
        "!!python/name:pymdownx.superfences.fence_code_format",
    )
    config_file.write_text(text)
    done = kubecapture(config_file, offline_env(), "share")
    assert done.returncode == 1, done.log
    assert "has Mermaid diagrams" in done.stderr and "extra_javascript" in done.stderr


# --- the handout ---------------------------------------------------------------------


def needs_printing():
    for tool in ("pdftotext",):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not found: apt-get install poppler-utils")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    pytest.importorskip("playwright")
    pytest.importorskip("pypdf")


def pdf_text(pdf: Path, *args: str) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *args, str(pdf), "-"], capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


NAV = [
    {"ホーム": "index.md"},
    {"コース": ["one.md", "two.md"]},
    {"勉強会": ["club.md"]},
]


def handout_site(root: Path) -> Path:
    secret = root.parent / f"{root.name}-secret.txt"
    secret.write_text("HOST-FILE-CONTENT-7351\n")
    (root / "docs").mkdir(parents=True, exist_ok=True)
    long = "\n".join(f"kubectl get namespace  # {i}" for i in range(1))
    pages = {
        "index.md": "# ホーム\n\nはじめに。\n",
        "one.md": PAGE,
        "two.md": '# 第二章\n\n漢字の長い文章。\n\n```kubectl id="n"\n' + long + "\n```\n",
        "club.md": (
            "# 勉強会の Slack\n\n"
            f'<iframe src="../../{secret.name}"></iframe>\n\n'
            f'<object data="{secret.as_uri()}"></object>\n\n'
            f'<img src="{secret.as_uri()}">\n'
        ),
    }
    return offline_site(root, pages, nav=NAV)


@pytest.mark.browser
def test_the_handout_of_a_section_numbers_its_contents_and_maps_kanji(tmp_path):
    needs_printing()
    config_file = handout_site(tmp_path / "h")
    out = tmp_path / "h" / "handout.pdf"
    done = kubecapture(config_file, offline_env(), "handout", "--section", "コース")
    assert done.returncode == 0, done.log
    assert "one.md, two.md" in done.stdout
    text = pdf_text(out)
    assert "入門" in text and "第二章" in text and "漢字" in text
    assert "勉強会の Slack" not in text  # another section
    assert KANGXI.findall(text) == []
    from kubecapture.tools import pdftext

    starts = pdftext.chapter_pages(out)
    assert len(starts) == 2 and starts[0] == 2 and starts[1] > starts[0]
    cover = pdf_text(out, "-layout", "-l", "1")
    for number, (title, page) in enumerate(zip(["入門", "第二章"], starts, strict=True), 1):
        assert re.search(rf"{number}\.\s*{title}[\s_.·]*{page}\s*$", cover, re.M), cover

    done = kubecapture(config_file, offline_env(), "handout", "--section", "なし")
    assert done.returncode == 1
    assert "has no section 'なし' (it has 'コース', '勉強会')" in done.stderr


@pytest.mark.browser
def test_the_handout_prints_only_the_sites_own_files(tmp_path):
    """Issue 26: an iframe, object or image leading to a file of the computer (out of the
    site folder, or file://) is not printed; the default is every page of the nav."""
    needs_printing()
    config_file = handout_site(tmp_path / "e")
    done = kubecapture(config_file, offline_env(), "handout")
    assert done.returncode == 0, done.log
    text = pdf_text(tmp_path / "e" / "handout.pdf")
    assert "勉強会の Slack" in text and "ホーム" in text
    assert "HOST-FILE-CONTENT" not in text
    # The secret is readable where the site is: the handout refused it, not the disk.
    assert (tmp_path / "e-secret.txt").read_text().startswith("HOST-FILE-CONTENT")


def test_the_text_layer_maps_kangxi_radicals_back_to_kanji(tmp_path):
    """Chromium's ToUnicode maps give a glyph the font reaches from 入 and from ⼊ the
    lower code point, the radical: pdfminer-based tools read 入門 as ⼊⾨. fix_text_layer
    maps each such entry (bfchar, bfrange, bfrange array) to the unified ideograph and
    leaves the others as they are."""
    import zlib

    pypdf = pytest.importorskip("pypdf")
    from kubecapture.tools import pdftext
    from pypdf.generic import DictionaryObject, EncodedStreamObject, NameObject

    cmap = (
        b"begincmap\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        b"2 beginbfchar\n<0001> <2F0A>\n<0002> <0041>\nendbfchar\n"
        b"3 beginbfrange\n<0003> <0004> <2F68>\n<0005> <0006> [<2ED1> <9580>]\n"
        b"<0007> <0008> <0061>\nendbfrange\nendcmap\n"
    )
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(100, 100)
    stream = EncodedStreamObject()
    stream._data = zlib.compress(cmap)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/ToUnicode"): writer._add_object(stream),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    pdf = tmp_path / "mini.pdf"
    with pdf.open("wb") as f:
        writer.write(f)

    assert pdftext.fix_text_layer(pdf) == 1
    fixed = pypdf.PdfReader(pdf).pages[0]["/Resources"]["/Font"]["/F1"]["/ToUnicode"]
    text = fixed.get_object().get_data().decode()
    assert "<0001> <5165>" in text and "<0002> <0041>" in text  # 入; A as it was
    assert "<0003> <0004> [<7676> <767D>]" in text  # 疒白, not ⽨⽩
    assert "<0005> <0006> [<9577> <9580>]" in text  # 長 (a CJK radical with no NFKC form)
    assert "<0007> <0008> <0061>" in text
    assert pdftext.fix_text_layer(pdf) == 0  # nothing left to fix
