/* kubecapture: Japanese search that finds what readers type.

   Material's search (lunr, with TinySegmenter for Japanese) finds single words, but a
   query typed as a learner types it (名前空間の作成, ワーカーノードに必要なもの, サーバ for
   サーバー, ＫＵＢＥＣＴＬ) mostly finds nothing: the query is cut into terms that are not
   the index's terms, and lunr wants them all. This script answers the query itself, from
   the same documents Material's worker gets, and hands Material a result list in its own
   format, so the search box, keyboard, result markup and highlighting stay Material's.

   - Index and query are normalized alike: NFKC (full/half width), lower case, no long
     vowel mark (サーバー = サーバ), small kana as large ones, punctuation as spaces, no
     spaces between Japanese characters.
   - The query is cut into words at script changes (kanji, katakana, hiragana, Latin);
     a Japanese word is matched whole, or in part by its character bigrams (a compound
     split or not, a word inflected); a Latin word as a word prefix. A small glossary maps
     katakana to the English names of Kubernetes objects (ポッド = Pod).
   - Scoring tolerates words a section lacks (each word weighs by its rarity; particles
     weigh little), puts sections that contain the whole query, then all its words,
     first, and the configured pages (the author guide) after the notes.
   - Learners' questions (issue 27): for 「X とは」 (X 何に使う) the section that defines X
     (X is the topic of a sentence, 「X は…」「X: …」, what a cleft sentence names, 「…のは
     X です」, or a name glossed in brackets, 「X (…する Y)」) comes before those that
     mention it; for a question for how (作り方, には, 見たい, a command) the section whose
     commands do it; a short table of synonyms (全部 = all, 消す = 削除) and a typo of a
     glossary word (ネームスペイス, ポット) or of a word of the site (kubctl) find what the
     notes say.
   - A flag typed (--namespace) finds the section whose command lines use it; a name of
     hyphened Latin words (use-context), or of Latin words a command line holds together
     (describe pod), stands whole; the query's words as typed, a kanji with its ending
     (見えるもの), held together count towards the order.

   It wraps the search worker where the page talks to it (loaded as a polyfill, after the
   iframe-worker shim used from file://): it keeps the documents of the SETUP message and
   rewrites each RESULT message. The index is the site's own search index: no other file,
   no network. When it finds nothing, Material's own result stands. */
(function () {
  "use strict";
  const CONFIG = /*kubecapture:config*/ { last: [], glossary: [], synonyms: [] } /*end*/;
  const SETUP = 0; // Material's SearchMessageType.SETUP: the page hands the index over
  const QUERY = 2; // Material's SearchMessageType.QUERY
  const RESULT = 3; // Material's SearchMessageType.RESULT
  const Base = window.Worker;
  if (!Base) return;
  const inert = document.implementation.createHTMLDocument("");

  // --- normalization -------------------------------------------------------------------

  const SMALL = "ぁあぃいぅうぇえぉおっつゃやゅゆょよゎわゕかゖけァアィイゥウェエォオッツャヤュユョヨヮワヵカヶケ";
  const LARGE = {};
  for (let i = 0; i < SMALL.length; i += 2) LARGE[SMALL[i]] = SMALL[i + 1];
  const CJK = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u;
  const VOICING = /[\u3099\u309a\uff9e\uff9f]/;

  function fold(text) {
    return text
      .normalize("NFKC")
      .toLowerCase()
      .replace(/\u30fc/g, "")
      .replace(/[ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ]/g, (c) => LARGE[c])
      .replace(/[^\p{L}\p{N}]+/gu, " ");
  }
  /* A space stays only between two Latin (or other spaced-script) characters. */
  function spaces(text) {
    return text
      .replace(/ +/g, " ")
      .replace(/(?<=[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]) | (?=[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}])/gu, "")
      .trim();
  }
  function normalize(text) {
    return spaces(fold(text));
  }
  /* The same, character by character, with where each character came from in `text`
     (for highlighting): at[i] is the start of the source of the i-th character, to[i] its
     end. A kana keeps its voicing mark (ｶﾞ = ガ). */
  function mapped(text) {
    let out = "";
    const at = [];
    const to = [];
    let last = ""; // the last character kept, and the one before it
    let before = "";
    for (let i = 0; i < text.length; ) {
      let j = i + (text.codePointAt(i) > 0xffff ? 2 : 1);
      while (j < text.length && VOICING.test(text[j])) j++;
      const part = j === i + 1 ? simple(text[i]) : fold(text.slice(i, j));
      for (const c of part) {
        if (c === " " && (last === "" || last === " ")) continue;
        if (c !== " " && last === " " && (CJK.test(c) || CJK.test(before))) {
          out = out.slice(0, -1);
          at.pop();
          to.pop();
          last = before;
        }
        out += c;
        for (let u = 0; u < c.length; u++) {
          at.push(i);
          to.push(j);
        }
        before = last;
        last = c;
      }
      i = j;
    }
    if (last === " ") {
      out = out.slice(0, -1);
      at.pop();
      to.pop();
    }
    return { text: out, at, to };
  }
  /* `fold` of one character, without its cost for ASCII, kana and common kanji. */
  function simple(c) {
    const code = c.charCodeAt(0);
    if (code < 0x80) return /[a-z0-9]/i.test(c) ? c.toLowerCase() : " ";
    if (code === 0x30fc) return "";
    const kana = (code >= 0x3041 && code <= 0x3096) || (code >= 0x30a1 && code <= 0x30fa);
    if (kana || (code >= 0x4e00 && code <= 0x9fff)) return LARGE[c] || c;
    return fold(c);
  }
  function plain(html) {
    const div = inert.createElement("div");
    div.innerHTML = html || "";
    return div.textContent;
  }

  // --- the query -------------------------------------------------------------------------

  const GLOSSARY = new Map(); // normalized form -> every form of its group
  for (const group of CONFIG.glossary) {
    const forms = [...new Set(group.map(normalize))].filter(Boolean);
    for (const form of forms) GLOSSARY.set(form, forms);
  }
  // A learner's word for the notes' word (消す for 削除): found, it counts a little less
  // than the word itself, so a section with the word as typed comes first.
  const SYNONYMS = new Map(); // normalized form -> the other words of its group (all forms)
  const SYNONYM = 0.9;
  for (const group of CONFIG.synonyms) {
    const forms = [...new Set(group.map(normalize))].filter(Boolean);
    for (const form of forms) {
      const others = forms.filter((f) => f !== form).flatMap((f) => GLOSSARY.get(f) || [f]);
      for (const f of GLOSSARY.get(form) || [form]) SYNONYMS.set(f, [...(SYNONYMS.get(f) || []), ...others]);
    }
  }
  const longest = [...new Set([...GLOSSARY.keys(), ...SYNONYMS.keys()])]
    .filter((f) => CJK.test(f))
    .sort((a, b) => b.length - a.length);
  // The glossary's Latin forms stand as whole words (a plural aside): 全部 = all must not
  // find "allocatable".
  const WHOLE = new Set([...GLOSSARY.keys(), ...SYNONYMS.keys()].filter((f) => !CJK.test(f)));
  const SPACED = [...WHOLE].filter((f) => f.includes(" ")).sort((a, b) => b.length - a.length);
  // Katakana glossary forms a typo may stand for (ネームスペイス: ネームスペース).
  const KATAKANA = [...GLOSSARY.keys()].filter((f) => /^\p{sc=Katakana}{3,}$/u.test(f));
  const KANA_ONLY = /^\p{sc=Hiragana}+$/u;
  // Words that ask rather than name a subject (見る, 方法, 何, 場所, 今): light, as
  // particles are.
  const ASKING = new Set(["見", "方", "方法", "仕方", "手順", "何", "知", "教", "意味", "場所", "今"]);
  // What a thing does (etcd の役割, kubelet の仕事) asks what it is; inside (Pod の中, 中身)
  // says where, as a particle does.
  for (const w of ["役割", "役目", "仕事", "中", "中身"]) ASKING.add(w);
  // Why a thing is so (名前空間を分ける理由) asks as 意味 does.
  ASKING.add("理由");
  // How two things differ or relate (ReplicaSet と Deployment の違い) asks about both; the
  // verb (名前が違う) says what the reader sees.
  for (const w of ["関係", "差", "違い"]) ASKING.add(w);
  // Words for looking at something (表示, 確認, 調べる, 出す, チェック): as light, and they
  // ask how.
  for (const w of ["表示", "確認", "調", "出", "チェック"]) ASKING.add(normalize(w));
  // Using a thing (使い方, 使ってる) asks how, or which; not being able to (使えない) is
  // the trouble itself. Normalized: っ is つ.
  for (const w of ["使い", "使つ"]) ASKING.add(w);
  // And the command a question asks for (詳細を見るコマンド): every command is one.
  ASKING.add("コマンド");
  // A question for a definition (etcd とは, Pod って何): the section that defines the word
  // comes before those that mention it.
  // What a thing is for or does asks the same (etcd 何に使う, kubelet は何をする, etcd 何を
  // 保存してる).
  const DEFINE = /とは|つて(?:何|なに|なん)|何$|なに$|なん$|意味|役割|役目|仕事|(?:何|なに)(?:に使|を?す|して|のため|を\p{sc=Han}+[しす])/u; // normalized: って is つて
  // A question for how to do something (Pod の作り方, 名前空間を消すには, 一覧を見たい): the
  // section whose commands do it comes first.
  const HOWTO = /方法|やり方|仕方|手順|方$|には$|どうすれば|どうやつて|たい$|一覧$|(?:(?<!\p{sc=Han})(?:見|出|調)|表示|確認|チエツク)[るすべ]?$|を\p{sc=Han}{1,2}\p{sc=Hiragana}{0,3}$/u;
  const POLITE = /(?:でしようか|ですか|ますか|です|ます|ください)+$/u; // normalized: ょ is よ
  const NOTES_FIRST = 0.5; // a partial match of the notes this good comes before the guide's
  const RUNS = /\p{sc=Han}+|\p{sc=Katakana}+|\p{sc=Hiragana}+|[^ \p{sc=Han}\p{sc=Katakana}\p{sc=Hiragana}]+/gu;

  /* A run of kanji or katakana, cut where the glossary knows a word (ワカノド: ワカ + ノド). */
  function glossed(run, start) {
    // An asking word at the end of a run of kanji is a word of its own (作成方法, 一覧表示).
    const ask = /^\p{sc=Han}+$/u.test(run) && [...ASKING].find((a) => a.length > 1 && run.length > a.length && run.endsWith(a));
    if (ask) return [...glossed(run.slice(0, -ask.length), start), { text: ask, from: start + run.length - ask.length }];
    // A typo of a glossary word is not cut at a shorter one it starts with (デプロイメン:
    // デプロイメント, not デプロイ + メン).
    if (/^\p{sc=Katakana}{4,}$/u.test(run) && !GLOSSARY.has(run) && KATAKANA.some((f) => f.length > 4 && oneEdit(run, f)))
      return [{ text: run, from: start }];
    const words = [];
    let rest = 0;
    for (let i = 0; i < run.length; ) {
      const form = longest.find((f) => run.startsWith(f, i));
      if (!form) {
        i++;
        continue;
      }
      if (i > rest) words.push({ text: run.slice(rest, i), from: start + rest });
      words.push({ text: form, from: start + i, forms: GLOSSARY.get(form) || [form] });
      i += form.length;
      rest = i;
    }
    if (rest < run.length) words.push({ text: run.slice(rest), from: start + rest });
    return words;
  }
  /* Katakana for hiragana (ぽっど: ポッド), character for character. */
  function katakana(text) {
    return text.replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
  }
  /* A run of hiragana: a term typed in hiragana that the site writes in katakana (ぽっど
     for ポッド, こんてなのろぐ: コンテナ + の + ログ) is that term; the rest (particles, verb
     endings) stays hiragana. A term: a glossary word, or a katakana word of the site's
     prose of three characters or more. */
  function kanaTerms(run, start) {
    const kata = katakana(run);
    const out = [];
    const plainPart = (from, to) => out.push({ text: run.slice(from, to), from: start + from });
    let rest = 0;
    for (const part of glossed(kata, 0).flatMap((p) => (p.forms ? [p] : split(p, 3)))) {
      const len = part.text.length;
      // A glossary word of two characters: the whole run, or its end after a particle
      // (ぽっどのろぐ: の + ログ).
      const after = part.from > 0 && "のをがはとにで".includes(run[part.from - 1]) && part.from + len === run.length;
      const term = part.forms ? len >= 2 && (len >= 3 || len === run.length || after) : part.split;
      if (!term) continue;
      if (part.from > rest) plainPart(rest, part.from);
      out.push({ text: part.text, from: start + part.from, forms: part.forms });
      rest = part.from + len;
    }
    if (rest < run.length) plainPart(rest, run.length);
    return out;
  }
  /* A katakana word the notes never hold whole, cut into katakana words it holds
     (グローバルオプション: グローバル + オプション), in as few as can be; else as it is. In a
     run of hiragana made katakana (`least`), only the words found. */
  function split(part, least) {
    const text = part.text;
    if (!least && !part.forms && /^\p{sc=Han}{3,}$/u.test(text)) return kanji(part);
    if (part.forms || !/^\p{sc=Katakana}+$/u.test(text)) return [part];
    const min = 3; // a shorter one is too often part of another word (マネ, ジヤ)
    const vocab = katakanaWords();
    if (!least && (text.length < 4 || anywhere(text, true))) return [part];
    // best[i]: the fewest words that make up text[0, i) (least: the most characters held
    // by words, the rest single characters), and where the last word starts.
    const best = [{ cost: 0, at: -1, word: false }];
    for (let i = 1; i <= text.length; i++) {
      best[i] = null;
      for (let j = i - 1; j >= 0; j--) {
        if (!best[j]) continue;
        const piece = text.slice(j, i);
        const word = i - j >= min && piece !== text && vocab.has(piece);
        if (!word && !(least && i - j === 1)) continue;
        const cost = best[j].cost + (word ? 1 : 100);
        if (!best[i] || cost < best[i].cost) best[i] = { cost, at: j, word };
      }
    }
    const end = best[text.length];
    if (!end || (!least && end.cost < 2)) return [part];
    const pieces = [];
    for (let i = text.length; i > 0; i = best[i].at)
      pieces.unshift({ text: text.slice(best[i].at, i), from: part.from + best[i].at, word: best[i].word });
    if (!least) return pieces.map((p) => ({ text: p.text, from: p.from }));
    return pieces.filter((p) => p.word).map((p) => ({ text: p.text, from: p.from, split: true }));
  }
  /* A run of kanji no section holds whole, cut where the notes hold each part whole, the
     longest first (勉強会参加者: 勉強会 + 参加者; 毎回違: 毎回 + 違); else as it is. Unlike a
     katakana one, a kanji compound the author guide holds (制限時間) is a word: kept. */
  function kanji(part) {
    const text = part.text;
    if (anywhere(text)) return [part];
    const pieces = [];
    for (let i = 0; i < text.length; ) {
      let j = text.length;
      while (j > i && !(j - i < text.length && anywhere(text.slice(i, j), true))) j--;
      // Parts of two kanji or more; the last may be one, a verb's stem (毎回違う: 毎回 + 違).
      if (j === i || (j - i === 1 && j < text.length)) return [part];
      pieces.push({ text: text.slice(i, j), from: part.from + i });
      i = j;
    }
    return pieces;
  }
  let kanaWords = null;
  /* The katakana words of the site's titles and prose (made when a query first needs it). */
  function katakanaWords() {
    if (kanaWords) return kanaWords;
    kanaWords = new Set();
    for (const d of docs)
      for (const f of ["title", "prose"]) for (const m of d[f].matchAll(/\p{sc=Katakana}{2,}/gu)) kanaWords.add(m[0]);
    return kanaWords;
  }
  /* The query's words: {text, from, to (in the normalized query), forms, latin, kana}. */
  function words(query) {
    const found = [];
    let skip = 0; // the end of a glossary word of several Latin words (load balancing)
    for (const m of query.matchAll(RUNS)) {
      if (m.index < skip) continue;
      let run = m[0];
      const latin = !CJK.test(run);
      const phrase = latin && SPACED.find((f) => query.startsWith(f, m.index) && ends(query, m.index + f.length));
      if (phrase) {
        run = query.slice(m.index, m.index + phrase.length);
        skip = m.index + phrase.length;
      }
      // A glossary word with a number typed on it (section3: セクション 3) is the word and
      // the number.
      const numbered = latin && /^([a-z]{3,})(\d+)$/.exec(run);
      const parts = numbered && GLOSSARY.has(numbered[1])
        ? [
            { text: numbered[1], from: m.index, forms: GLOSSARY.get(numbered[1]) },
            { text: numbered[2], from: m.index + numbered[1].length },
          ]
        : latin
        ? [{ text: run, from: m.index, forms: GLOSSARY.get(run) || GLOSSARY.get(run.replace(/s$/, "")) }]
        : KANA_ONLY.test(run)
          ? kanaTerms(run, m.index)
          : glossed(run, m.index).flatMap((p) => split(p));
      for (const part of parts) {
        let forms = part.forms || [part.text];
        if (latin) forms = [...new Set([...forms, ...forms.map(stem)])];
        const alt = new Set(forms.flatMap((f) => SYNONYMS.get(f) || []).filter((f) => !forms.includes(f)));
        found.push({
          text: part.text,
          from: part.from,
          to: part.from + part.text.length,
          forms: [...forms, ...alt],
          alt,
          latin,
          kana: KANA_ONLY.test(part.text),
          asking: ASKING.has(part.text) || ASKING.has(part.text + query[part.from + part.text.length]),
        });
      }
    }
    return found;
  }
  function stem(word) {
    return /^[a-z]/.test(word) && word.length > 4 ? word.replace(/(?:ing|ed|es|s)$/, "") : word;
  }
  function japanese(form) {
    return CJK.test(form[0]);
  }
  function bigrams(form) {
    const chars = [...form];
    if (chars.length < 2) return [form];
    const out = [];
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
    return out;
  }

  // --- matching ----------------------------------------------------------------------------

  /* Where `form` stands in `text`: a Japanese form anywhere, a Latin one at a word start
     (a glossary one as a whole word). */
  function find(text, form, from) {
    const latin = !japanese(form);
    const wider = latin ? [] : compounds(form);
    for (let i = text.indexOf(form, from || 0); i >= 0; i = text.indexOf(form, i + 1)) {
      if (!latin && wider.some(([c, at]) => text.startsWith(c, i - at))) continue;
      if (!latin) return i;
      if (i > 0 && text[i - 1] !== " " && !CJK.test(text[i - 1])) continue;
      if ((!WHOLE.has(form) && form.length > 2) || ends(text, i + form.length)) return i;
    }
    return -1;
  }
  /* The glossary's Japanese words that hold `form` and are more (名前空間 for 名前, 理想状態
     for 状態), with where `form` stands in each: there `form` is part of another word. */
  const wholes = new Map();
  function compounds(form) {
    if (!wholes.has(form))
      wholes.set(
        form,
        [...GLOSSARY.keys()].filter((c) => c !== form && japanese(c) && c.includes(form)).map((c) => [c, c.indexOf(form)]),
      );
    return wholes.get(form);
  }
  /* Whether a word ends at `at` in `text`, or after an ending (-s, -es, -d, -ed). */
  function ends(text, at) {
    const rest = text.slice(at, at + 3);
    return /^(?:e?[sd])?(?:$| |[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}])/u.test(rest);
  }
  /* How much of `word` a text holds: 1 for one of its forms whole (SYNONYM for a synonym);
     else, for a Japanese form, the share of its bigrams (each weighed by its rarity),
     times 0.8. */
  function cover(text, word, idf) {
    let best = 0;
    for (const form of word.forms) {
      const alt = word.alt && word.alt.has(form);
      if (find(text, form) >= 0) {
        if (!alt) return 1;
        best = Math.max(best, SYNONYM);
      }
      if (alt || word.latin || !japanese(form)) continue;
      let have = 0;
      let all = 0;
      for (const gram of bigrams(form)) {
        const weight = idf.get(gram) || 0;
        all += weight;
        if (weight && text.indexOf(gram) >= 0) have += weight;
      }
      if (all) best = Math.max(best, (0.8 * have) / all);
    }
    return best;
  }

  // --- the index -------------------------------------------------------------------------

  let docs = [];
  let pending = null;
  let byLocation = new Map();
  let postings = new Map(); // character or pair of characters -> the sections holding it
  function remember(index) {
    pending = (index && index.docs) || [];
    docs = [];
  }
  /* Prepare the index while the reader starts typing (the page hands it over when the
     search box opens), not on the first key. */
  function soon() {
    const later = window.requestIdleCallback || ((f) => setTimeout(f, 50));
    later(() => {
      try {
        prepared();
      } catch (error) {
        console.warn("kubecapture search:", error);
      }
    });
  }
  /* A section's fields, normalized: its title, its prose, and its code blocks (commands
     and their outputs, where a word is less likely the section's subject); and the
     topics its sentences define. */
  function fields(doc) {
    const div = inert.createElement("div");
    div.innerHTML = doc.text || "";
    const code = [];
    const shows = []; // what the section's commands do: their titles and command lines
    const flags = new Set(); // the long flags its command lines use (--show-labels: show labels)
    const lines = []; // its command lines
    for (const pre of div.querySelectorAll("pre")) {
      const title = pre.previousSibling;
      const one = []; // one command: its title and its command lines
      if (title && title.nodeType === 3 && title.data.trim().length <= 60) one.push(title.data);
      const text = pre.textContent;
      for (const m of text.matchAll(/^\$ .*/gm)) {
        one.push(m[0]);
        for (const f of m[0].matchAll(FLAG)) flags.add(normalize(f[1]));
        lines.push(normalize(m[0]));
      }
      if (one.length) shows.push(one.join(" "));
      code.push(text);
      pre.replaceWith(" ");
    }
    // A command named in a sentence and what it does there (「`kubectl config use-context
    // NAME` で切り替えます」): a command of the section, with its verb as its title.
    for (const c of div.querySelectorAll("code")) {
      const next = c.nextSibling;
      const does = next && next.nodeType === 3 && /^\s*で([^。、()（）]{1,20})/.exec(next.data);
      if (does && /^kubectl /.test(c.textContent)) shows.push(c.textContent + " " + does[1]);
    }
    const texts = [plain(doc.title), div.textContent, code.join(" "), shows.join(" / ")];
    return [...texts.map(normalize), topics(div), shows.map(normalize), flags, lines];
  }
  // A long flag, in a command line or a query (--show-labels, --namespace=kube-system).
  const FLAG = /(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)/g;
  // A name of Latin words joined by hyphens (use-context, kube-system, show-labels).
  const NAME = /(?<![\w-])-{0,2}([a-z][a-z0-9]*(?:-[a-z0-9]+)+)/g;
  // A version (v1.37.2, 1.22): a name too.
  const VERSION = /(?<![\w.])(v?\d+(?:\.\d+)+)(?![\w.])/g;
  // Or Latin words typed apart that a command names together (describe pod).
  const SPACED_NAME = /(?<![\w-])([a-z][a-z0-9]*(?: [a-z][a-z0-9]*)+)(?![\w-])/g;
  // A sentence's topic: what stands before its first とは, は (not では, には) or colon,
  // if that is short (「etcd: 設定などを格納する…」, 「Pod は…の最小単位です」); a name
  // in brackets after it is the same topic (「Namespace (名前空間) は」).
  const TOPIC = /^\s*([^。、]{1,30}?)\s*(?:とは|(?<![でにと])は|[:：])/u;
  // And what a cleft sentence names (「…を振り分けるのは、各ノードの kube-proxy です」).
  const CLEFT = /のは[、,]?\s*([^。、]{1,50}?)\s*(?:です|でした|で[、,])/gu;
  // A name glossed in brackets by a clause that ends in a noun or asks (「static Pod
  // (kubelet が直接起動する Pod)」, 「レプリカ数 (同じ Pod をいくつ動かすか)」); not a list
  // of examples (「(minikube や kind、…)」).
  const GLOSS = /([A-Za-z][\w.-]*(?: [A-Za-z][\w.-]*){0,2}|[\p{sc=Han}\p{sc=Katakana}ー]+)\s*[(（]([^()（）、や]*?[がをで][^()（）、や]*?(?:[るたいす]\s*[\p{L}]+|か))[)）]/gu;
  /* The topics of a section's paragraphs and list items, normalized. A short list item
     over a list of its own is a heading for it (「Control Plane」). */
  function topics(div) {
    const out = [];
    for (const block of div.querySelectorAll("p, li")) {
      const lists = block.tagName === "LI" && block.querySelector("ul, ol");
      let own = block;
      if (lists) {
        own = block.cloneNode(true);
        for (const list of own.querySelectorAll("ul, ol")) list.remove();
      }
      const text = own.textContent;
      if (lists && [...text.trim()].length <= 20) out.push(normalize(text));
      // A name glossed in brackets by a clause (static Pod (kubelet が直接起動する Pod)).
      if (/[(（]/.test(text)) for (const m of text.matchAll(GLOSS)) out.push(normalize(m[1]));
      if (!/は|[:：]/.test(text)) continue;
      for (const sentence of text.split("。")) {
        let m = TOPIC.exec(sentence);
        if (m && /の$/.test(m[1])) m = null; // 「…するのは X です」 names X, not its clause
        const cleft = !m;
        const found = m ? [m] : sentence.includes("のは") ? [...sentence.matchAll(CLEFT)] : [];
        for (const part of found.flatMap((c) => c[1].split(/[()（）]/))) {
          const head = normalize(part);
          if (head && [...head].length <= 16) out.push(head);
          // What a cleft sentence names is the head of 「A の B」, or the name after 「X
          // では」 in brackets (「クラスターの DNS サーバー (minikube では CoreDNS)」).
          const tail = cleft && /^[^]*(?:の|は) *([\p{sc=Han}\p{sc=Katakana}A-Za-z][^]*)$/u.exec(part.trim());
          const last = tail && normalize(tail[1]);
          if (last && last !== head && [...last].length <= 16) out.push(last);
        }
      }
    }
    return out;
  }
  /* The sections, normalized, and which hold each character and pair of characters (so a
     query reads only the sections that hold some of it). Made at the first query. */
  function prepared() {
    if (!pending) return docs;
    const titles = new Map(); // page -> its title: a section's context
    docs = pending.map((doc) => {
      const page = doc.location.split("#")[0];
      const [title, prose, code, shows, defines, commands, flags, lines] = fields(doc);
      if (!titles.has(page)) titles.set(page, title);
      const context = doc.location === page ? "" : titles.get(page);
      const last = CONFIG.last.some((path) => (path.endsWith("/") ? page.startsWith(path) : page === path));
      return { doc, page, title, prose, code, shows, commands, flags, lines, context, defines, body: title + " " + prose, last };
    });
    byLocation = new Map(docs.map((d) => [d.doc.location, d]));
    // A page's title is the context of all its sections: in the page's own entry (its
    // opening) it counts as context too (but for a question for a definition: a page is
    // about what its title names), so the section that holds the rest of the query comes
    // before the opening (勉強会の資料: 資料作り, not the page bizpy 勉強会).
    const parted = new Set(docs.filter((d) => d.doc.location !== d.page).map((d) => d.page));
    for (const d of docs) d.opening = d.doc.location === d.page && parted.has(d.page);
    latinWords = null;
    kanaWords = null;
    postings = new Map();
    docs.forEach((d, i) => {
      const seen = new Set();
      for (const text of [d.title, d.prose, d.code, d.context])
        for (let k = 0; k < text.length; k++) {
          seen.add(text[k]);
          if (k + 1 < text.length && text[k + 1] !== " ") seen.add(text[k] + text[k + 1]);
        }
      for (const key of seen) {
        const list = postings.get(key);
        if (list) list.push(i);
        else postings.set(key, [i]);
      }
    });
    pending = null;
    return docs;
  }
  /* The sections that may hold `form`: all its pairs for a Latin form (it must stand
     whole), any of them for a Japanese one (it may stand in part). */
  function holders(form) {
    const grams = [...form].length < 2 ? [form] : bigrams(form).filter((g) => !g.includes(" "));
    const lists = grams.map((g) => postings.get(g) || []);
    if (japanese(form)) return new Set(lists.flat());
    lists.sort((x, y) => x.length - y.length);
    let out = new Set(lists[0] || []);
    for (const list of lists.slice(1)) {
      const has = new Set(list);
      out = new Set([...out].filter((i) => has.has(i)));
    }
    return out;
  }

  // --- scoring -----------------------------------------------------------------------------

  /* Whether topic `t` is the word `w`: a form of it stands there, and the query's words
     make up most of the topic and its end, where a Japanese noun phrase has its head
     (etcd: yes; kube-apiserver for apiserver: yes; k8s オブジェクト for k8s, API
     サーバーの応答 for API サーバー: no). */
  function defined(t, w, ws) {
    if (!w.forms.some((f) => find(t, f) >= 0)) return false;
    const covered = new Set();
    for (const v of ws)
      for (const f of v.forms)
        for (let i = find(t, f); i >= 0; i = find(t, f, i + 1))
          for (let k = i; k < i + f.length; k++) covered.add(k);
    return covered.size >= 0.6 * t.length && covered.has(t.length - 1);
  }
  /* The share of the query (by weight) that the section's topics define. */
  function topic(d, ws, weights, total) {
    if (!d.defines.length) return 0;
    return weighed(ws, weights, total, (w) => d.defines.some((t) => defined(t, w, ws)));
  }
  /* The share of the query that the section's commands (titles, command lines) hold: half
     all of them together, half the one command that holds most of it (「Pod の一覧」 for
     pod 一覧, before 「名前空間の一覧」 and 「kube-system 名前空間の Pod」). */
  function shown(d, ws, weights, total) {
    if (!d.shows) return 0;
    return (held(d.shows, ws, weights, total) + commanded(d, ws, weights, total)) / 2;
  }
  /* The share of the query that the section's one command that holds most of it holds. */
  function commanded(d, ws, weights, total) {
    return Math.max(0, ...d.commands.map((text) => held(text, ws, weights, total)));
  }
  /* The share of the query that `text` holds. */
  function held(text, ws, weights, total) {
    return weighed(ws, weights, total, (w) => w.forms.some((f) => find(text, f) >= 0));
  }
  /* The share of the query (by weight) of the words `has(word, k)` says yes to. */
  function weighed(ws, weights, total, has) {
    return ws.reduce((a, w, k) => a + (weights[k] && has(w, k) ? weights[k] : 0), 0) / total;
  }

  /* A typo: a katakana word one edit away from a glossary word is taken as that word too
     (ネームスペイス, レプリカセト, デプロイメン; one of three letters only if no section
     holds it: ポット, not ノート); a Latin word no section holds, as the site's most
     frequent word one edit away (kubctl), with its glossary forms (namesapce: 名前空間). */
  function typo(w) {
    if (w.forms.length > 1) return w; // a word of the glossary or synonyms
    let near = null;
    let fixed = null; // the word it stands for
    const kana = /^\p{sc=Katakana}{3,}$/u.test(w.text) && ([...w.text].length > 3 || !anywhere(w.text));
    if (kana) {
      const short = [...w.text].length === 3;
      const form = KATAKANA.find((f) => (short || [...f].length > 3) && oneEdit(w.text, f));
      near = form && GLOSSARY.get(form);
      fixed = form;
    } else if (w.latin && /^[a-z]{5,}$/.test(w.text) && !anywhere(w.text)) {
      // One edit away; for a word of seven letters or more, else two (deplymnet).
      const words = [...vocabulary()];
      const word =
        words.find(([v]) => oneEdit(w.text, v)) ||
        (w.text.length >= 7 && words.find(([v]) => v.length >= 7 && edits(w.text, v, 2) <= 2));
      near = word && (GLOSSARY.get(word[0]) || [word[0]]);
      fixed = word && word[0];
    }
    return near ? Object.assign({}, w, { forms: [w.text, ...near], alt: new Set(), fixed }) : w;
  }
  /* Whether a section holds `form` (`notes`: a section of the notes, not of the pages
     that come last). */
  function anywhere(form, notes) {
    return [...holders(form)].some((i) => !(notes && docs[i].last) && FIELDS.some((f) => find(docs[i][f], form) >= 0));
  }
  let latinWords = null;
  /* The site's Latin words of five letters or more, most frequent first (made when a
     query first needs it). */
  function vocabulary() {
    if (latinWords) return latinWords;
    const counts = new Map();
    for (const d of docs)
      for (const f of FIELDS)
        for (const m of d[f].matchAll(/[a-z]{5,}/g)) counts.set(m[0], (counts.get(m[0]) || 0) + 1);
    latinWords = new Map([...counts].sort((a, b) => b[1] - a[1]));
    return latinWords;
  }
  /* How many insertions, deletions, substitutions and swaps of two neighbours make `a`
     into `b` (more than `most`: most + 1). */
  function edits(a, b, most) {
    if (Math.abs(a.length - b.length) > most) return most + 1;
    let prev2 = [];
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], prev2[j - 2] + 1);
      }
      if (Math.min(...row) > most) return most + 1;
      [prev2, prev] = [prev, row];
    }
    return prev[b.length];
  }
  /* Whether `a` becomes `b` by one insertion, deletion, substitution or swap. */
  function oneEdit(a, b) {
    if (a === b || Math.abs(a.length - b.length) > 1) return false;
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    const [x, y] = [a.slice(i), b.slice(i)];
    return (
      x.slice(1) === y.slice(1) ||
      x.slice(1) === y ||
      x === y.slice(1) ||
      (x[0] === y[1] && x[1] === y[0] && x.slice(2) === y.slice(2))
    );
  }

  const FIELDS = ["title", "prose", "code"];
  const CODE = 0.6; // a word found only in code counts this much towards the order
  const CONTEXT = 0.5; // and one found only in the title of the section's page
  const NEAR = 12; // characters between two words of the query that stand together
  const DEFINES = 1.5; // a section that defines the query's words, for a question
  const SHOWS = 1; // a section whose commands do what a question for how asks
  const STRETCH = 0.5; // a section that holds the query's words as typed, together
  const OPTION = new Set(["オプション", "フラグ", "option", "flag"].map(normalize));

  /* How many times forms of a word stand in `text` (counted up to 5). */
  function count(text, forms) {
    let seen = 0;
    for (const form of forms)
      for (let i = find(text, form); i >= 0 && seen < 5; i = find(text, form, i + form.length)) seen++;
    return seen;
  }
  /* The length of the longest part of `query` that `text` holds, in Japanese, that runs
     across one of the query's word boundaries (`cuts`) and holds a verb or adjective as
     typed, a kanji and its ending (見えるもの, 作り直され); 0 if it is shorter than four
     characters. */
  const JAPANESE = /^[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]+$/u;
  const INFLECTED = /\p{sc=Han}\p{sc=Hiragana}/u; // a kanji and its ending (見える, 作り直す)
  function stretch(text, query, cuts) {
    let best = 0;
    for (let i = 0; i + best < query.length; i++) {
      let j = i + Math.max(best, 3) + 1; // only a longer one counts
      if (j > query.length || !JAPANESE.test(query.slice(i, j)) || text.indexOf(query.slice(i, j)) < 0) continue;
      while (j < query.length && CJK.test(query[j]) && text.indexOf(query.slice(i, j + 1)) >= 0) j++;
      if (cuts.some((c) => c > i && c < j) && INFLECTED.test(query.slice(i, j))) best = j - i;
    }
    return best;
  }
  /* Whether a form of `b` follows a form of `a` closely in `text`. */
  function near(text, a, b) {
    const reach = NEAR + Math.max(...b.map((y) => y.length));
    for (const x of a)
      for (let i = find(text, x), seen = 0; i >= 0 && seen < 20; i = find(text, x, i + 1), seen++) {
        const after = text.slice(i + x.length, i + x.length + reach);
        if (b.some((y) => find(after, y) >= 0)) return true;
      }
    return false;
  }

  function score(raw) {
    const query = normalize(String(raw || ""));
    const all = prepared();
    if (!query || !all.length) return null;
    const ws = words(query).slice(0, 32).map(typo);
    // Long flags typed (--show-labels) and names of hyphened Latin words (use-context) that
    // some section holds whole.
    const typed = String(raw).normalize("NFKC").toLowerCase();
    const flags = [...typed.matchAll(FLAG)].map((m) => normalize(m[1]));
    const names = [...typed.matchAll(NAME), ...typed.matchAll(VERSION)]
      .map((m) => normalize(m[1]))
      .filter((f) => !ws.some((w) => w.forms.includes(f)) && anywhere(f)); // not a word already (api-server)
    // And Latin words typed apart that a command line holds together (describe pod): a
    // name too, wherever it stands.
    const line = (d, f) => d.lines.some((l) => find(l, f) >= 0);
    const spaced = [...typed.matchAll(SPACED_NAME)]
      .map((m) => normalize(m[1]))
      .filter((f) => !ws.some((w) => w.forms.includes(f)) && [...holders(f)].some((i) => line(docs[i], f)));
    // With a flag, the word option (--namespace オプション) names the flag: light, as
    // コマンド is.
    if (flags.length) for (const w of ws) if (OPTION.has(w.text)) w.asking = true;
    // The words of the query that are parts of a name (kube, scheduler of kube-scheduler):
    // they stand where the name stands, and a name is one word.
    const partOf = ws.map(() => null);
    const nameForms = new Map(names.map((f) => [f, [f]]));
    for (const f of names)
      for (let at = query.indexOf(f); at >= 0; at = query.indexOf(f, at + 1))
        ws.forEach((w, k) => {
          if (w.from >= at && w.to <= at + f.length) partOf[k] = f;
        });
    // A glossary word with a number on it (section3, セクション3) names one thing, in any of
    // the word's forms (セクション3): the page its title names, as much as a heading would.
    const numbered = new Set();
    ws.forEach((w, k) => {
      const next = ws[k + 1];
      if (partOf[k] || !next || next.from !== w.to || !/^\d+$/.test(next.text) || w.forms.length < 2) return;
      if (!GLOSSARY.has(w.text) && !w.forms.some((f) => GLOSSARY.has(f))) return;
      const key = query.slice(w.from, next.to);
      nameForms.set(key, [...new Set(w.forms.flatMap((f) => [f + next.text, f + " " + next.text]))]);
      partOf[k] = partOf[k + 1] = key;
      numbered.add(k).add(k + 1);
    });
    const stands = (text, k) => nameForms.get(partOf[k]).some((f) => find(text, f) >= 0);
    const many = ws.filter((w, k) => !partOf[k]).length + new Set(partOf.filter(Boolean)).size;
    const n = all.length;
    // Asked politely (見たいです, 何ですか): the question is the same.
    const question = query.replace(POLITE, "");
    const asked = DEFINE.test(question);
    // A query of Latin words only (a command: kubectl logs) asks for the command too; a
    // name alone (kube-scheduler) is a term.
    const howto = !asked && (HOWTO.test(question) || (!CJK.test(query) && many > 1));
    // Particles and asking words are light: they count a little, and a section may lack
    // them (unless the query has nothing else).
    const onlyLight = ws.every((w) => w.kana || w.asking);
    const light = ws.map((w) => !onlyLight && (w.kana || w.asking));
    // The sections that hold some of the query's words (not only its particles).
    const chosen = new Set();
    ws.forEach((w, k) => {
      if (!light[k]) for (const form of w.forms) for (const i of holders(form)) chosen.add(i);
    });
    const candidates = [...chosen].sort((a, b) => a - b).map((i) => all[i]); // site order
    // Rarity of each bigram of the query's Japanese forms (0: in no section).
    const idf = new Map();
    for (const w of ws)
      for (const form of w.latin ? [] : w.forms.filter(japanese))
        for (const gram of bigrams(form)) {
          const df = (postings.get(gram) || []).length;
          idf.set(gram, df ? Math.log(1 + n / df) : 0);
        }
    const rows = candidates.map((d) =>
      ws.map((w, k) => {
        const c = {};
        const r = {}; // towards the order, a word of a name counts where the name stands
        for (const f of [...FIELDS, "context"]) {
          c[f] = d[f] ? cover(d[f], w, idf) : 0;
          r[f] = !partOf[k] || (d[f] && stands(d[f], k)) ? c[f] : 0;
        }
        if (d.opening && !asked) [c.title, c.context, r.title, r.context] = [0, c.title, 0, r.title];
        c.any = Math.max(c.title, c.prose, c.code, c.context);
        c.rank = Math.max(r.title, r.prose, CODE * r.code, (numbered.has(k) ? 1 : CONTEXT) * r.context);
        return c;
      }),
    );
    // A word weighs by its rarity: the sections that hold at least half of it (for a
    // particle, at most those that hold its characters). Particles weigh little, and a
    // word no section holds nothing.
    const weights = ws.map((w, k) => {
      const df = light[k]
        ? Math.min(...w.forms.map((f) => holders(f).size))
        : rows.filter((r) => r[k].any >= 0.5).length;
      return df ? (light[k] ? 0.15 : 1) * Math.log(1 + n / df) : 0;
    });
    const total = weights.reduce((a, b) => a + b, 0);
    if (!total) return null;
    const content = ws.map((w, k) => weights[k] > 0 && !light[k]);
    const said = weighed(ws, weights, total, (w, k) => content[k]); // not particles
    const pairs = [];
    // Words that stand close: a name's words are the name (v1.37.2 の出力: the version, then
    // 出力, not 2 and 出力).
    const kept = ws.filter((w, k) => content[k]);
    const units = [];
    ws.forEach((w, k) => {
      if (!content[k]) return;
      const forms = partOf[k] ? nameForms.get(partOf[k]) : w.forms;
      if (!partOf[k] || partOf[k] !== partOf[k - 1] || !content[k - 1]) units.push(forms);
    });
    for (let k = 0; k + 1 < units.length; k++) pairs.push([units[k], units[k + 1]]);
    // The whole query as typed; a query of one glossary word in any of its forms.
    // A typo's correction stands in the query as typed (kubeclt logs: kubectl logs).
    const fixed = ws.reduceRight((q, w) => (w.fixed ? q.slice(0, w.from) + w.fixed + q.slice(w.to) : q), query);
    const phrases = ws.length === 1 ? ws[0].forms : [...new Set([query, fixed])];
    const phrase = (text) => phrases.some((p) => [...p].length >= 2 && find(text, p) >= 0);
    const exact = (w) => w.forms.filter((f) => !w.alt.has(f)); // not its synonyms
    const cuts = ws.slice(1).map((w) => w.from); // where one word of the query ends
    const scored = [];
    candidates.forEach((d, i) => {
      const row = rows[i];
      const sum = (part) => row.reduce((a, c, k) => a + weights[k] * part(c), 0) / total;
      const share = sum((c) => c.any);
      if (share <= 0.25) return;
      const titleShare = sum((c) => c.title);
      // A name typed with hyphens (use-context) stands whole, not as its words apart.
      const named =
        names.length + spaced.length > 0 && [...names, ...spaced].every((f) => FIELDS.some((x) => find(d[x], f) >= 0));
      const whole = row.every((c, k) => !content[k] || c.any >= SYNONYM) && (named || !names.length);
      const close = pairs.length
        ? pairs.filter(([a, b]) => FIELDS.some((f) => near(d[f], a, b))).length / pairs.length
        : 0;
      const inTitle = phrase(d.title);
      const inText = phrase(d.prose) || phrase(d.code);
      // The query or the names typed in the title, prose or a command line, not only in a
      // command's output.
      const spoken = (f) => find(d.body, f) >= 0 || line(d, f);
      const told =
        phrase(d.body) ||
        d.lines.some((l) => phrase(l)) ||
        (named && [...names, ...spaced].every(spoken));
      // The longest stretch of the query as typed, across its words, that the section's
      // title or prose holds (見えるものを分ける: 「見えるもの」), as a share of the query.
      const typedShare = stretch(d.body, query, cuts) / query.length;
      // 3: the whole query in the title (the section is about it); 2: the whole query in
      // the text, every word, or most of the query in the title; 1: some words. Within 2,
      // the whole query as typed counts towards the order.
      let level = inTitle ? 3 : inText || whole || titleShare >= 0.6 || (named && share >= 0.5) ? 2 : 1;
      // The notes before the configured pages (the author guide): a complete match there
      // counts as a partial one of the notes.
      if (d.last) level = Math.max(1, level - 1);
      // How often the words stand in the title and prose (up to 5 times each; synonyms not).
      const often =
        ws.reduce((a, w, k) => a + (content[k] ? weights[k] * count(d.body, partOf[k] ? nameForms.get(partOf[k]) : exact(w)) : 0), 0) /
        (5 * total);
      // A section whose sentences define the words (their topic) is about them: for a
      // question for a definition, before one that mentions them, however often; for
      // other queries a little, where the topic is the whole query (so it is read only
      // for a question for a definition or a complete match).
      const defines = asked || level >= 2 ? topic(d, ws, weights, total) : 0;
      const topicShare = asked ? defines : !howto && defines >= 0.99 * said ? 1 / 3 : 0;
      // For a question for how, a section whose commands' titles hold the words.
      // For another of two words or more (not a definition), a command that holds them all
      // (pod 詳細: 「Pod の詳細」) counts as well.
      const showShare = howto
        ? shown(d, ws, weights, total)
        : !asked && kept.length > 1 && d.shows && commanded(d, ws, weights, total) >= 0.99 * said
          ? said / 2
          : 0;
      // How often a word stands does not tell where it is defined: for a question for a
      // definition, among equals the site's order decides (the notes introduce a word
      // before they use it).
      const rank =
        sum((c) => c.rank) +
        titleShare +
        DEFINES * topicShare +
        SHOWS * showShare +
        0.5 * close +
        (inText || named ? (told ? 0.5 : CODE * 0.5) : 0) +
        STRETCH * typedShare +
        // A flag typed: the section whose command lines use it (--namespace: 「kubectl get
        // pod --namespace kube-system」), not the list of every flag.
        (flags.length ? (SHOWS * flags.filter((f) => d.flags.has(f)).length) / flags.length : 0) +
        (asked ? 0 : 0.3 * often);
      scored.push({ d, row, share, level, rank, defines: topicShare, often });
    });
    // A question for a definition that no section defines: how often counts, as for others.
    if (asked && !scored.some((s) => s.defines > 0)) for (const s of scored) s.rank += 0.3 * s.often;
    const top = Math.max(0, ...scored.map((s) => s.share));
    const listed = scored.filter((s) => s.share >= 0.3 * top);
    // By level (the configured pages, the author guide, one level down); within a level of
    // complete matches the configured pages last; among partial ones, the notes' sections
    // that hold most of the query first, the configured pages a little behind; then by rank.
    for (const s of listed) {
      if (s.level >= 2) s.key = s.level * 1000 + (s.d.last ? 0 : 100) + 10 * s.rank;
      else if (s.d.last) s.key = 1000 + 8 * s.rank;
      else s.key = 1000 + 10 * s.rank + (s.share >= NOTES_FIRST ? 500 : 0);
    }
    listed.sort((a, b) => b.key - a.key); // stable: on a tie, the site's order
    return { query, raw: String(raw), words: ws, light, content, listed };
  }

  // --- Material's result format -----------------------------------------------------------

  /* `html` with the words' matches marked as Material marks them; and, for each word, the
     text it matched there (for the page's own highlighting, ?h=). */
  function highlight(html, found, seen) {
    const div = inert.createElement("div");
    div.innerHTML = html || "";
    const walker = inert.createTreeWalker(div, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
    const forms = found.flat();
    for (const node of nodes) {
      const quick = normalize(node.data);
      if (!forms.some((form) => quick.includes(form))) continue;
      const m = mapped(node.data);
      const ranges = [];
      found.forEach((forms, k) => {
        for (const form of forms)
          for (let i = find(m.text, form); i >= 0; i = find(m.text, form, i + 1)) {
            const range = [m.at[i], m.to[i + form.length - 1]];
            ranges.push(range);
            if (!seen.has(k) && forms.whole) seen.set(k, node.data.slice(range[0], range[1]));
          }
      });
      if (!ranges.length) continue;
      ranges.sort((a, b) => a[0] - b[0]);
      const merged = [];
      for (const r of ranges) {
        const last = merged[merged.length - 1];
        if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
        else merged.push(r.slice());
      }
      const parts = inert.createDocumentFragment();
      let pos = 0;
      for (const [from, to] of merged) {
        parts.append(node.data.slice(pos, from));
        const mark = inert.createElement("mark");
        mark.setAttribute("data-md-highlight", "");
        mark.textContent = node.data.slice(from, to);
        parts.append(mark);
        pos = to;
      }
      parts.append(node.data.slice(pos));
      node.replaceWith(parts);
    }
    return div.innerHTML;
  }

  /* One result entry: the document, marked, with its score and Material's terms (a word
     the section lacks is listed as missing). The marks are made when Material first reads
     the entry, as it renders it: a long list costs nothing for the entries never shown. */
  function item(s, result) {
    let marked = null;
    function mark() {
      if (marked) return marked;
      const seen = new Map();
      // Marked: the query's words (not particles) and the whole query where it stands.
      const found = result.words.map((w, k) => {
        const whole = s.row[k].any >= SYNONYM;
        if (result.light[k]) return Object.assign([], { whole });
        const grams = w.latin ? [] : w.forms.filter(japanese).flatMap(bigrams);
        const forms = whole ? w.forms : grams.filter((g) => [...g].length > 1);
        forms.whole = whole;
        return forms;
      });
      if (result.words.length > 1) found.push(Object.assign([result.query], { whole: false }));
      const title = highlight(s.d.doc.title, found, seen);
      const text = highlight(s.d.doc.text, found, seen);
      const terms = {};
      const typed = mapped(result.raw);
      const asTyped = (w) =>
        typed.text === result.query ? result.raw.slice(typed.at[w.from], typed.to[w.to - 1]) : w.text;
      result.words.forEach((w, k) => {
        if (result.light[k]) return; // particles: neither found nor missing
        if (seen.has(k)) terms[seen.get(k)] = true;
        else terms[asTyped(w)] = false;
      });
      marked = { title, text, terms };
      return marked;
    }
    const doc = Object.assign({}, s.d.doc, { score: s.key });
    delete doc.parent;
    for (const key of ["title", "text", "terms"])
      Object.defineProperty(doc, key, { enumerable: true, get: () => mark()[key] });
    return doc;
  }

  /* Material's result: a list per page (its best section first, the page itself in it). */
  function results(result) {
    const pages = new Map();
    for (const s of result.listed) {
      if (!pages.has(s.d.page)) pages.set(s.d.page, []);
      pages.get(s.d.page).push(item(s, result));
    }
    for (const [page, items] of pages) {
      if (items.some((i) => i.location === page)) continue;
      const article = byLocation.get(page);
      if (article) items.push(Object.assign({}, article.doc, { parent: undefined, score: 0, terms: {} }));
    }
    return [...pages.values()];
  }

  function answer(query, data) {
    try {
      const result = score(query);
      if (!result || !result.listed.length) return data;
      return Object.assign({}, data, { items: results(result) });
    } catch (error) {
      console.warn("kubecapture search:", error);
      return data;
    }
  }

  function SearchWorker(url, options) {
    const worker = new Base(url, options);
    if (!/workers\/search\./.test(String(url))) return worker;
    const queries = [];
    const post = worker.postMessage;
    worker.postMessage = function (message) {
      if (message && message.type === SETUP) {
        remember(message.data);
        soon();
      }
      if (message && message.type === QUERY) queries.push(message.data);
      return post.apply(worker, arguments);
    };
    // Registered before Material's own listener, so Material reads the new result.
    worker.addEventListener("message", (event) => {
      const message = event.data;
      if (!message || message.type !== RESULT) return;
      const data = answer(queries.shift(), message.data || { items: [] });
      Object.defineProperty(event, "data", { value: { type: RESULT, data } });
    });
    return worker;
  }
  SearchWorker.prototype = Base.prototype;
  window.Worker = SearchWorker;
  // For the tests: the normalization (whole, and character by character as for the
  // marks), and the result Material would get for a query on a search index (the one
  // the page handed the worker when `index` is left out).
  window.kubecaptureSearch = {
    normalize,
    mapped: (text) => mapped(text).text,
    answer(query, index) {
      if (index) remember(index);
      return answer(query, { items: [] });
    },
    // Whether the page has handed the script its index (the search box opened).
    ready: () => Boolean(pending || docs.length),
    // The query's words as the script reads them, with their forms (for the tests).
    words(query) {
      prepared();
      return words(normalize(String(query || ""))).map(typo).map((w) => ({ text: w.text, forms: w.forms }));
    },
    // How each listed section was ranked, best first (for the tests and bench_search).
    explain(query) {
      const result = score(query);
      if (!result) return [];
      return result.listed.map((s) => ({
        location: s.d.doc.location,
        level: s.level,
        share: s.share,
        rank: s.rank,
        key: s.key,
        defines: s.defines,
      }));
    },
  };
})();
