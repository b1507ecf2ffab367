"""What the handout reads and mends in the PDF Chromium printed: where each chapter
starts, and a text layer that maps kanji to their Kangxi radicals (入 -> ⼊)."""

from __future__ import annotations

import re
from pathlib import Path


def chapter_pages(pdf: Path) -> list[int]:
    """The page (1-based) each chapter starts on: Chromium keeps the targets of the
    cover's links (#ch1, #ch2, ...) as the PDF's named destinations."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    found = {}
    for name, dest in reader.named_destinations.items():
        m = re.fullmatch(r"/?ch(\d+)", str(name))
        if m:
            found[int(m[1])] = reader.get_destination_page_number(dest) + 1
    return [found[k] for k in sorted(found)]


# Characters whose compatibility form is a unified ideograph (Kangxi radicals, CJK radicals,
# compatibility ideographs): a text layer that maps a glyph to one of them maps it wrong.
# CJK radicals with no compatibility form, and their unified ideograph (Unicode's
# EquivalentUnifiedIdeograph.txt): ⻑ is drawn with the glyph of 長.
_UNIFIED = dict(
    zip(
        "⺁⺅⺆⺇⺉⺎⺏⺐⺒⺓⺔⺖⺘⺙⺛⺠⺡⺢⺣⺤⺦⺨⺩⺫⺬⺭⺮⺲⺷⺹⺻⺼⺾⻀⻁⻂⻃⻄⻅⻆⻈⻉⻋⻌⻍⻎⻏⻑⻒⻓⻔⻖⻗⻘"
        "⻙⻚⻛⻜⻝⻟⻠⻢⻣⻤⻥⻦⻧⻨⻩⻪⻫⻬⻭⻮⻯⻰⻱⻲",
        "厂亻冂几刂兀尣尢巳幺彑忄扌攵旡民氵氺灬爫丬犭王罒示礻竹罒羊耂聿月艹艹虎衤覀西见角讠贝车辶辶辶阝長镸长门阝雨青"
        "韦页风飞食飠饣马骨鬼鱼鸟卤麦黄黾斉齐歯齿竜龙龜亀",
        strict=True,
    )
)

_COMPAT = re.compile(r"[\u2e80-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")


def fix_text_layer(pdf: Path) -> int:
    """Map back to the unified ideograph (入) every glyph the PDF's ToUnicode maps send to
    its Kangxi radical or compatibility twin (⼊): Chromium picks, for a glyph that the
    font's cmap gives both code points, the lower one. Returns how many maps changed."""
    import unicodedata

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    def fixed(text: str) -> str:
        return _COMPAT.sub(
            lambda m: _UNIFIED.get(m[0]) or unicodedata.normalize("NFKC", m[0]), text
        )

    def remap(hexes: bytes) -> bytes:
        text = bytes.fromhex(hexes.decode()).decode("utf-16-be", errors="surrogatepass")
        new = fixed(text)
        return hexes if new == text else new.encode("utf-16-be").hex().upper().encode()

    def bfchar(m) -> bytes:
        return entry.sub(lambda e: e[1] + b"<" + remap(e[2]) + b">", m[0])

    def bfrange(m) -> bytes:
        def one(r) -> bytes:
            lo, hi, dst = int(r[1], 16), int(r[2], 16), r[3]
            if dst.startswith(b"["):
                return r[0][: r.start(3) - r.start(0)] + hexes.sub(
                    lambda e: b"<" + remap(e[1]) + b">", dst
                )
            start = bytes.fromhex(dst[1:-1].decode()).decode("utf-16-be", "surrogatepass")
            if len(start) != 1:
                return r[0]
            targets = [chr(ord(start) + i) for i in range(hi - lo + 1)]
            if all(fixed(t) == t for t in targets):
                return r[0]
            items = b" ".join(
                b"<" + fixed(t).encode("utf-16-be").hex().upper().encode() + b">" for t in targets
            )
            return r[0][: r.start(3) - r.start(0)] + b"[" + items + b"]"

        return triple.sub(one, m[0])

    entry = re.compile(rb"(<[0-9A-Fa-f]+>\s*)<([0-9A-Fa-f]+)>")
    hexes = re.compile(rb"<([0-9A-Fa-f]+)>")
    triple = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])")
    chars = re.compile(rb"beginbfchar.*?endbfchar", re.S)
    ranges = re.compile(rb"beginbfrange.*?endbfrange", re.S)
    writer = PdfWriter(clone_from=PdfReader(pdf))
    changed, seen = 0, set()
    for page in writer.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            cmap = ref.get_object().get(NameObject("/ToUnicode"))
            if cmap is None or id(cmap.get_object()) in seen:
                continue
            stream = cmap.get_object()
            seen.add(id(stream))
            data = stream.get_data()
            new = ranges.sub(bfrange, chars.sub(bfchar, data))
            if new != data:
                stream.set_data(new)
                changed += 1
    if changed:
        tmp = pdf.with_name(f".{pdf.name}.tmp")
        with tmp.open("wb") as f:
            writer.write(f)
        tmp.replace(pdf)
    return changed
