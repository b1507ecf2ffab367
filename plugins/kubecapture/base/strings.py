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
            "missing_help": "このコマンドの出力はまだ記録されていません。クラスターに接続して"
            "ビルドすると、実際の出力がここに表示されます。",
            "pasted": "貼り付けられた出力",
            "pasted_help": "ノートに貼り付けられたままの出力です。まだキャプチャされていないため、"
            "いつ・どのクラスターで得られたものかは記録されていません。",
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
            "live": "kubectl を実行して記録",
            "the original notes": "元のノート (手で貼り付けた出力)",
            "unknown_date": "日付不明",
            "unknown": "不明",
            "show_all": "すべて表示",
            "collapse": "折りたたむ",
            "lines": "行",
            "exit": "終了コード",
            "captured": "キャプチャ",
            "cluster": "クラスター",
            "nodes": "ノード",
            "runtime": "コンテナランタイム",
            "images": "イメージ",
            "node_real": "実ノード",
            "node_simulated": "模擬ノード (コンテナは動いていません)",
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
            "title": "クラスター更新による変化",
            "intro": "スニペットの出力は、クラスターのバージョンごとにキャプチャの履歴として"
            "残っています。隣り合う 2 つのキャプチャを比べ、新しい順に並べました。"
            "それぞれの比較では、まず 2 つの環境 (クラスター・バージョン・kubectl) の"
            "何が違うかを示します。"
            "出力の変化をバージョンの違いによるものと言えるのは、同じクラスターでバージョンだけが"
            "変わったときだけです。それでも、アップグレードの作業 (コンポーネントの再起動など) や、"
            "kubectl を動かした環境で変わる出力もあります。出力から原因が分かるものには理由を添え、"
            "分からないものは分からないと書いています。"
            "AGE・IP アドレス・自動生成された名前の接尾辞・タイムスタンプなど、"
            "実行のたびに変わる値は比較から除いています。",
            "empty": "まだレポートはありません。"
            "クラスターに接続して再キャプチャすると作成されます。",
            "when": "時点",
            "before": "更新前",
            "after": "更新後",
            "before_other": "変更前",
            "after_other": "変更後",
            "source": "出典",
            "context": "コンテキスト",
            "server": "Kubernetes",
            "kubectl": "kubectl",
            "captured_at": "取得日",
            "snippets": "スニペット数",
            "live": "kubectl を実行して記録",
            PASTED_SOURCE: "ページに貼り付けられた出力",
            "the original notes": "元のノート",
            "unknown": "不明",
            "changed": "変化あり",
            "volatile": "実行ごとに変わる値のみ",
            "unchanged": "変化なし",
            "new": "新規",
            "command": "コマンドが変わったもの",
            "settle": 'settle="off": 途中の状態を見せる例なので、出力はタイミングで変わります',
            "client": "このコマンドは、クラスターに問い合わせずに kubectl だけで出力を作ります。"
            "kubectl のバージョンも同じなので、この変化はクラスターやバージョンによるものではなく、"
            "kubectl を動かした環境 (kubecapture が kubectl に用意するホームディレクトリなど) の"
            "違いによるものです。",
            "client_kubectl": "このコマンドは、クラスターに問い合わせずに kubectl だけで"
            "出力を作ります。この変化はクラスターによるものではなく、kubectl のバージョンか、"
            "kubectl を動かした環境の違いによるものです。",
            "repeated": "同じ内容のイベントが増えたのは、同じ出来事 (たとえばコンポーネントの"
            "再起動) がもう一度起きたためです。新しいリリースでの違いを示すものではありません。",
            "masked": "伏せ字 (********) と値の違いは、kubecapture がキャプチャのときに値を"
            "伏せたかどうか (スニペットの redact の設定) の違いで、"
            "クラスターの違いではありません。",
            "nodes": "ノード",
            "diff": "差分 (実行ごとに変わる値を置き換えた後)",
            "more": "ほか {n} 件",
            "none_changed": "内容の変わった出力はありません。",
            "renamed": "名前の変化のみ",
            "cluster_note": "クラスターの説明",
            "none": "なし",
            "step_cluster": "クラスターの変更",
            "step_upgrade": "バージョンアップ",
            "step_version": "バージョンの変更",
            "step_kubectl": "kubectl の変更",
            "step_same": "同じ環境での取り直し",
            "step_unknown": "比較元の環境が不明",
            "step_new": "初めてのキャプチャ",
            "step_node_versions": "ノード {before} → {after}",
            "from_source": "{source}から",
            "list_separator": "、",
            "why_cluster": "クラスターが変わりました ({before} → {after})。バージョンは同じなので、"
            "下の出力の変化はクラスターの違いによるものです。",
            "why_cluster_and_version": "クラスターが変わりました ({before} → {after})。"
            "同時にバージョンも変わっています ({versions})。そのため、下の出力の変化を"
            "バージョンの違いによるものとは言えません。クラスターの違いによるものかもしれません。",
            "why_upgrade": "同じクラスター ({context}) で、{what} のバージョンが変わりました "
            "({versions})。下の出力の変化は、このバージョンアップで起きたものです。"
            "新しいリリースの違いのほか、アップグレードの作業 (コンポーネントの再起動など) で"
            "変わったものもあります。",
            "why_kubectl": "クラスターもバージョンも同じで、kubectl のバージョンだけが変わりました "
            "({before} → {after})。下の出力の変化は kubectl の違いによるものです。",
            "why_same": "クラスターもバージョンも同じです。下の変化は、取り直したときの"
            "クラスターの状態の違いです。",
            "why_unknown": "比較元の出力がどのクラスターで得られたものかは記録されていません。"
            "変化の原因はこの比較からは分かりません。",
            "why_new": "前の出力がないため、比べていません。",
            "also_kubectl": "kubectl のバージョンも変わっています ({before} → {after})。"
            "表示の違いの一部は kubectl によるものかもしれません。",
            "what_server": "Kubernetes (API サーバー)",
            "what_nodes": "ノード (kubelet)",
            "what_both": "API サーバーとノード",
            "renamed_note": "クラスターが変わったため、名前も変わっています ({names})。"
            "古い出力の名前を新しい名前に置き換えてから比べたので、"
            "名前だけの違いは出力の変化に数えていません。",
            "differs": "違い",
            "change_line_removed": "消えた行: {subject}",
            "change_line_added": "加わった行: {subject}",
            "change_row_removed": "表から消えた行: {subject}",
            "change_row_added": "表に加わった行: {subject}",
            "change_row_repeated": "同じイベントがもう一度記録されました: {subject} "
            "({before} → {after} 件)",
            "change_cell": "{subject}: {before} → {after} ({row} の行)",
            "change_column_added": "加わった列: {subject}",
            "change_column_removed": "消えた列: {subject}",
            "change_table_removed": "消えた表: {subject}",
            "change_table_added": "加わった表: {subject}",
            "change_command_removed": "消えたコマンド: {subject}",
            "change_command_added": "加わったコマンド: {subject}",
            "change_exit_code": "終了コード: {before} → {after}",
            "change_output": "出力が変わりました (差分を参照)",
            "change_empty": "(空)",
            "change_in_stderr": "標準エラー出力: {text}",
            "diff_before": "更新前",
            "diff_after": "更新後",
            "diff_before_other": "変更前",
            "diff_after_other": "変更後",
            "diff_stderr": "[標準エラー出力]",
            "diff_exit_code": "[終了コード {code}]",
        },
        "matrix": {
            "snippet": "スニペット",
            "imported": "元のノート",
            "only": "違いのあるスニペットだけを表示",
            "count": "{total} 件中 {differ} 件で、最新の出力と違う環境があります",
            "newest": "最新",
            "same": "同じ",
            "changed": "変化あり",
            "failed": "失敗",
            "command": "コマンドが違う",
            "missing": "未取得",
            "renamed": "名前の変化のみ",
            "diff_this": "この環境",
            "diff_newest": "最新",
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
            "live": "recorded by running kubectl",
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
            "runtime": "Container runtime",
            "images": "Images",
            "node_real": "real node",
            "node_simulated": "simulated node (no container runs)",
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
            "on. Here each two consecutive captures are compared, newest first. Each comparison "
            "first says what differs between its two setups (cluster, versions, kubectl): a "
            "change of output is put down to the version only when the cluster stayed the same. "
            "Values that differ on every run (AGE, IP addresses, generated name suffixes, "
            "timestamps) are left out of the comparison. Even so, some outputs change with the "
            "upgrade itself (components restarting) or with where kubectl ran: where the outputs "
            "show a cause, it is said, and where they do not, that is said too.",
            "empty": "No report yet. Re-capture with a cluster to create one.",
            "when": "When",
            "before": "Before",
            "after": "After",
            "before_other": "Before",
            "after_other": "After",
            "source": "Source",
            "context": "Context",
            "server": "Kubernetes",
            "kubectl": "kubectl",
            "captured_at": "Captured",
            "snippets": "Snippets",
            "live": "recorded by running kubectl",
            PASTED_SOURCE: "pasted in the page",
            "the original notes": "the original notes",
            "unknown": "unknown",
            "changed": "Changed",
            "volatile": "Run-to-run values only",
            "unchanged": "Unchanged",
            "new": "New",
            "command": "Command changed",
            "settle": 'settle="off": shows the cluster mid-way, so the output depends on timing',
            "client": "kubectl makes this output itself, without asking the cluster. kubectl's "
            "version is the same too, so the change comes neither from the cluster nor from a "
            "version but from where kubectl ran (the home directory kubecapture gives it, say).",
            "client_kubectl": "kubectl makes this output itself, without asking the cluster. The "
            "change comes not from the cluster but from kubectl's version or from where it ran.",
            "repeated": "The same event listed more often means the same thing happened again "
            "(a component restarting, say); it does not show a difference of the new release.",
            "masked": "A value against ******** differs in whether kubecapture masked it when "
            "capturing (the snippet's redact setting), not in the cluster.",
            "nodes": "Nodes",
            "diff": "Diff (after replacing run-to-run values)",
            "more": "and {n} more",
            "none_changed": "No output changed in substance.",
            "renamed": "Only names that changed with the cluster",
            "cluster_note": "About the cluster",
            "none": "none",
            "step_cluster": "Another cluster",
            "step_upgrade": "Upgrade",
            "step_version": "Version change",
            "step_kubectl": "Another kubectl",
            "step_same": "Re-captured on the same setup",
            "step_unknown": "Earlier setup unknown",
            "step_new": "First capture",
            "step_node_versions": "nodes {before} → {after}",
            "from_source": "from {source}",
            "list_separator": ", ",
            "why_cluster": "The cluster changed ({before} → {after}). The versions are the "
            "same, so the changes below come from the other cluster.",
            "why_cluster_and_version": "The cluster changed ({before} → {after}), and so did "
            "the version ({versions}). The changes below cannot be put down to the version: "
            "they may come from the other cluster.",
            "why_upgrade": "On the same cluster ({context}), the version of {what} changed "
            "({versions}). The changes below came with that upgrade: differences of the new "
            "release, and some of the upgrade itself (components restarting).",
            "why_kubectl": "Same cluster, same versions; only kubectl changed ({before} → "
            "{after}). The changes below come from kubectl.",
            "why_same": "Same cluster, same versions. The changes below are the cluster's state "
            "when the outputs were captured again.",
            "why_unknown": "Which cluster the earlier output came from is not recorded. What "
            "caused the changes cannot be told from this comparison.",
            "why_new": "There is no earlier output to compare with.",
            "also_kubectl": "kubectl changed too ({before} → {after}); some differences in "
            "how outputs look may come from it.",
            "what_server": "Kubernetes (the API server)",
            "what_nodes": "the nodes (kubelet)",
            "what_both": "the API server and the nodes",
            "renamed_note": "The cluster changed, and names with it ({names}). The old outputs "
            "were compared with the old names replaced by the new ones, so a name alone does "
            "not count as a change of output.",
            "differs": "differs",
            "change_line_removed": "line removed: {subject}",
            "change_line_added": "line added: {subject}",
            "change_row_removed": "row removed: {subject}",
            "change_row_added": "row added: {subject}",
            "change_row_repeated": "the same event recorded again: {subject} ({before} → "
            "{after} times)",
            "change_cell": "{subject}: {before} → {after} (row {row})",
            "change_column_added": "column added: {subject}",
            "change_column_removed": "column removed: {subject}",
            "change_table_removed": "table removed: {subject}",
            "change_table_added": "table added: {subject}",
            "change_command_removed": "command removed: {subject}",
            "change_command_added": "command added: {subject}",
            "change_exit_code": "exit code: {before} → {after}",
            "change_output": "output changed (see the diff)",
            "change_empty": "(empty)",
            "change_in_stderr": "stderr: {text}",
            "diff_before": "before",
            "diff_after": "after",
            "diff_before_other": "before",
            "diff_after_other": "after",
            "diff_stderr": "[stderr]",
            "diff_exit_code": "[exit code {code}]",
        },
        "matrix": {
            "snippet": "Snippet",
            "imported": "original notes",
            "only": "Show only snippets that differ",
            "count": "{differ} of {total} snippets differ from their newest output somewhere",
            "newest": "newest",
            "same": "same",
            "changed": "changed",
            "failed": "failed",
            "command": "other command",
            "missing": "not captured",
            "renamed": "names only",
            "diff_this": "this setup",
            "diff_newest": "newest",
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


def matrix_strings(lang: str | None) -> dict[str, str]:
    return STRINGS[language(lang)]["matrix"]


def allowlist_strings(lang: str | None) -> dict[str, str]:
    return STRINGS[language(lang)]["allowlist"]
