"""Search: Japanese queries as readers type them (assets/search-rank.js).

Material's search finds single Japanese words, but a phrase with a particle, a katakana
word without its long-vowel mark or a full-width word mostly finds nothing. The script
answers each query itself, from the documents Material's worker gets (the site's own
search index: no other file), normalized and matched by character bigrams, and hands
Material its result list in Material's format. It wraps the search worker in the page,
which works the same over HTTP and from file://, where the worker runs in the
iframe-worker shim: it is loaded as a polyfill after that shim.

The script is written into the site with its settings: the pages that come after the
notes (`search_last`: the author guide, so a learner's query lands on the course), a
glossary of the katakana a reader may type for the English names the notes use (ポッド for
Pod), and a few synonyms a learner uses for the notes' words (消す for 削除).
"""

from __future__ import annotations

import json
import re

from mkdocs.structure.files import File, Files

from . import ASSETS, log

SCRIPT = "assets/search-rank.js"
_CONFIG = re.compile(r"/\*kubecapture:config\*/.*?/\*end\*/", re.S)

# Each group: the forms one word takes in a query or on a page (kubectl's short names too:
# ns, rs, svc, deploy). The script normalizes them as it does text (no long-vowel mark,
# width, case), so one spelling of each is enough.
GLOSSARY: tuple[tuple[str, ...], ...] = (
    ("pod", "ポッド"),
    ("node", "ノード"),
    ("namespace", "ns", "ネームスペース", "名前空間"),
    ("deployment", "deploy", "デプロイメント", "デプロイ"),
    ("replicaset", "rs", "レプリカセット"),
    ("service", "svc", "サービス"),
    ("secret", "シークレット"),
    ("cluster", "クラスター"),
    ("container", "コンテナ"),
    ("worker", "ワーカー"),
    ("control plane", "コントロールプレーン"),
    ("label", "ラベル"),
    ("manifest", "マニフェスト"),
    ("rollout", "ロールアウト"),
    ("rollback", "ロールバック"),
    ("runtime", "ランタイム"),
    ("event", "イベント"),
    ("log", "ログ"),
    ("endpoint", "エンドポイント"),
    ("status", "状態"),
    ("scheduler", "スケジューラー"),
    ("controller", "コントローラー"),
    ("scope", "スコープ"),
    ("context", "コンテキスト"),
    ("image", "イメージ"),
    ("object", "オブジェクト"),
    ("resource", "リソース"),
    ("format", "フォーマット", "形式"),
    ("section", "セクション"),
    ("desired state", "理想状態"),
    ("current state", "現実状態"),
    ("kubernetes", "k8s"),
    ("apiserver", "api server", "API サーバー"),
    ("minikube", "ミニキューブ"),
    ("kubeconfig", "~/.kube/config"),
    ("default", "デフォルト"),
    ("load balancing", "load balancer", "ロードバランサー", "ロードバランシング", "負荷分散"),
)

# Words a learner types for what the notes say otherwise (issue 27): 全部 for `get all`, 消す
# for 削除 (delete), 始める and 立ち上げる for 起動, 入る and 保存 for 格納, 大事 for 重要,
# 落ちる for ダウン, 戻す for a rollback, 変える for 更新 (an image), 入る for 属する (a resource
# in a namespace), 結果 for 出力 (a command's output). A kanji verb stands as its kanji (消
# of 消す). Found, a synonym counts a little less than the word as typed. Kept short: a word
# goes here when learners use it for what the notes name otherwise.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("all", "全部"),
    ("rollback", "戻"),
    ("delete", "削除", "消"),
    ("起動", "始", "立"),
    ("格納", "保存", "入"),
    ("重要", "大事", "大切"),
    ("ダウン", "落"),
    ("更新", "変"),
    ("属", "入"),
    ("describe", "詳細"),
    ("wait", "待"),
    ("実行", "打"),
    ("フィールド", "項目"),
    ("グローバル", "共通"),
    ("出力", "結果"),
)


def has_search(config) -> bool:
    return any(name.split("/")[-1] == "search" for name in config.plugins)


def use(config) -> bool:
    """Load the script last among the polyfills (after any iframe-worker shim, whose Worker
    it wraps). True if the site has search, and so needs the file of `files`."""
    if not has_search(config):
        return False
    polyfills = [p for p in config.extra.get("polyfills") or [] if str(p) != SCRIPT]
    config.extra["polyfills"] = [*polyfills, SCRIPT]
    return True


def last_urls(paths: list[str], files: Files) -> list[str]:
    """The site URLs (as in the search index) of `search_last`: a page's source path
    (how-it-works.md) gives its URL, a folder (guide/) every URL under it."""
    urls = []
    for path in paths:
        clean = path.strip().lstrip("/")
        if clean.endswith("/"):
            urls.append(clean)
        elif (file := files.get_file_from_path(clean)) and file.is_documentation_page():
            urls.append(file.url)
        else:
            log.warning(f"search_last: {path!r} is not a page of the docs folder; it is ignored")
    return urls


def script(last: list[str]) -> str:
    """The script with its settings: the pages of `last` (URLs as in the search index;
    one ending in / takes every page under it) come last among equally good matches."""
    settings = {"last": last, "glossary": GLOSSARY, "synonyms": SYNONYMS}
    source = (ASSETS / "search-rank.js").read_text(encoding="utf-8")
    # ensure_ascii: the settings stay plain ASCII JavaScript whatever the paths hold.
    return _CONFIG.sub(lambda _: json.dumps(settings, ensure_ascii=True), source, count=1)


def files(config, files: Files, last: list[str]) -> list[File]:
    return [File.generated(config, SCRIPT, content=script(last_urls(last, files)))]
