"""Reader-facing text: one table, every key in every language."""

from kubecapture.base.strings import STRINGS, language, report_strings, strings


def test_every_language_has_every_key():
    for section in ("snippet", "report", "allowlist"):
        keys = {lang: set(table[section]) for lang, table in STRINGS.items()}
        assert keys["ja"] == keys["en"], section


def test_theme_languages_map_to_a_table():
    assert language("ja_JP") == language("ja-JP") == language("ja") == "ja"
    assert language("fr") == language(None) == "en"
    assert strings("ja")["captured"] == "キャプチャ"
    assert report_strings("en")["title"] == "Changes from the cluster upgrade"
