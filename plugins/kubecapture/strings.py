"""Reader-facing text of the plugin, in each language it speaks (ja, en): one table.

`snippet`: what shows under and around a snippet on a page; `report`: the drift
report's page. Both languages have the same keys (a test checks).
"""

from __future__ import annotations

# The source of a baseline pasted in a console transcript (drift compares against it).
PASTED_SOURCE = "pasted in the page"

STRINGS: dict[str, dict[str, dict[str, str]]] = {
    "ja": {
        "snippet": {
            "missing": "まだキャプチャされていません",
            "missing_help": "このコマンドの出力はまだ記録されていません。クラスタに接続して"
            "ビルドすると、実際の出力がここに表示されます。",
            "pasted": "貼り付けられた出力",
            "pasted_help": "ノートに貼り付けられたままの出力です。まだキャプチャされていないため、"
            "いつ・どのクラスタで得られたものかは記録されていません。",
            "as_written": "貼り付けのまま",
            "as_written_help": "kubecapture が再実行しないコマンドです。"
            "出力はノートに書かれたままです。",
            "stale": "古いキャプチャ",
            "stale_help": "スニペットが変更された後、まだ再実行されていません。",
            "context": "コンテキスト",
            "server": "サーバー",
            "kubectl": "kubectl",
            "captured_at": "取得日時",
            "source": "出典",
            "live": "ビルド時に実行",
            "the original notes": "元のノート (手で貼り付けた出力)",
            "unknown_date": "日付不明",
            "unknown": "不明",
            "show_all": "すべて表示",
            "collapse": "折りたたむ",
            "lines": "行",
            "exit": "終了コード",
            "captured": "キャプチャ",
            "cluster": "クラスタ",
            "nodes": "ノード",
            "namespace": "名前空間",
            "versions": "バージョンごとの出力",
            "earlier": "以前の出力",
            "since": "{label} と比べて:",
            "changed": "出力が変わりました",
            "volatile": "変化なし (実行ごとに変わる値のみ違います)",
            "unchanged": "変化なし",
            "command": "コマンドが変わりました (出力は比べていません)",
            "diff": "差分 (実行ごとに変わる値を置き換えた後)",
        },
        "report": {
            "title": "クラスタ更新による変化",
            "intro": "スニペットの出力は、クラスタのバージョンごとにキャプチャの履歴として"
            "残っています。隣り合う 2 つのキャプチャを比べ、新しい順に並べました。"
            "AGE・IP アドレス・自動生成された名前の接尾辞・タイムスタンプなど、"
            "実行のたびに変わる値は比較から除いています。",
            "empty": "まだレポートはありません。クラスタに接続して再キャプチャすると作成されます。",
            "when": "時点",
            "before": "更新前",
            "after": "更新後",
            "source": "出典",
            "context": "コンテキスト",
            "server": "Kubernetes",
            "kubectl": "kubectl",
            "captured_at": "取得日",
            "snippets": "スニペット数",
            "live": "ビルド時に実行",
            PASTED_SOURCE: "ページに貼り付けられた出力",
            "the original notes": "元のノート",
            "unknown": "不明",
            "changed": "変化あり",
            "volatile": "実行ごとに変わる値のみ",
            "unchanged": "変化なし",
            "new": "新規",
            "command": "コマンドが変わったもの",
            "settle": 'settle="off": 途中の状態を見せる例なので、出力はタイミングで変わります',
            "nodes": "ノード",
            "diff": "差分 (実行ごとに変わる値を置き換えた後)",
            "more": "ほか {n} 件",
            "none_changed": "内容の変わった出力はありません。",
        },
        "allowlist": {
            "command": "コマンド",
            "effect": "影響",
            "flags": "使えるオプション",
            "why": "理由 (英語)",
            "every": "(すべてのコマンド)",
            "global": "グローバルオプション",
            "read": "読むだけ",
            "write": "変更",
            "destructive": "破壊的 (サンドボックス内のみ)",
            "opt_in": "ページで許可したときのみ",
        },
    },
    "en": {
        "snippet": {
            "missing": "Not captured yet",
            "missing_help": "The output of this command has not been recorded yet. Build with a "
            "cluster to show its real output here.",
            "pasted": "Pasted output",
            "pasted_help": "This output was pasted into the notes and has not been captured yet: "
            "when and on which cluster it was produced is not recorded.",
            "as_written": "As written",
            "as_written_help": "kubecapture does not re-run these commands; their output is as "
            "written in the notes.",
            "stale": "Stale capture",
            "stale_help": "The snippet changed and has not been re-run yet.",
            "context": "Context",
            "server": "Server",
            "kubectl": "kubectl",
            "captured_at": "Captured at",
            "source": "Source",
            "live": "run at build time",
            "the original notes": "the original notes (pasted by hand)",
            "unknown_date": "date unknown",
            "unknown": "unknown",
            "show_all": "Show all",
            "collapse": "Collapse",
            "lines": "lines",
            "exit": "exit code",
            "captured": "Captured",
            "cluster": "Cluster",
            "nodes": "Nodes",
            "namespace": "Namespace",
            "versions": "Output per version",
            "earlier": "Earlier outputs",
            "since": "Compared with {label}:",
            "changed": "the output changed",
            "volatile": "no change (only run-to-run values differ)",
            "unchanged": "no change",
            "command": "the command changed (outputs not compared)",
            "diff": "Diff (after replacing run-to-run values)",
        },
        "report": {
            "title": "Changes from the cluster upgrade",
            "intro": "Each snippet keeps its outputs from every cluster version it was captured "
            "on. Here each two consecutive captures are compared, newest first. Values that "
            "differ on every run (AGE, IP addresses, generated name suffixes, timestamps) are "
            "left out of the comparison.",
            "empty": "No report yet. Re-capture with a cluster to create one.",
            "when": "When",
            "before": "Before",
            "after": "After",
            "source": "Source",
            "context": "Context",
            "server": "Kubernetes",
            "kubectl": "kubectl",
            "captured_at": "Captured",
            "snippets": "Snippets",
            "live": "run at build time",
            PASTED_SOURCE: "pasted in the page",
            "the original notes": "the original notes",
            "unknown": "unknown",
            "changed": "Changed",
            "volatile": "Run-to-run values only",
            "unchanged": "Unchanged",
            "new": "New",
            "command": "Command changed",
            "settle": 'settle="off": shows the cluster mid-way, so the output depends on timing',
            "nodes": "Nodes",
            "diff": "Diff (after replacing run-to-run values)",
            "more": "and {n} more",
            "none_changed": "No output changed in substance.",
        },
        "allowlist": {
            "command": "Command",
            "effect": "Effect",
            "flags": "Flags allowed",
            "why": "Why",
            "every": "(every command)",
            "global": "global flags",
            "read": "reads only",
            "write": "changes objects",
            "destructive": "destructive (inside the sandbox only)",
            "opt_in": "only on a page that allows it",
        },
    },
}


def language(lang: str | None) -> str:
    """`ja`, `en`, ... from a theme language such as `ja_JP` or `en-US`; `en` if unknown."""
    short = (lang or "en").split("-")[0].split("_")[0]
    return short if short in STRINGS else "en"


def strings(lang: str | None) -> dict[str, str]:
    return STRINGS[language(lang)]["snippet"]


def report_strings(lang: str | None) -> dict[str, str]:
    return STRINGS[language(lang)]["report"]


def allowlist_strings(lang: str | None) -> dict[str, str]:
    return STRINGS[language(lang)]["allowlist"]
