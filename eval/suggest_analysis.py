"""Where keyword recall is lost: which held-out gold rows no suggestion touches, and whether
any training-fold table could have lent the missing word.

For every held-out table (grouped CV, the same folds as ``jixiao eval suggest --cv``) the
draft is made on the training folds only. Each gold row is then put in one bucket:

- ``hit``: the draft shares a content word with it (what keyword recall counts);
- ``no content word``: keyword recall can never count it (资金支付及时率);
- ``segmentation``: missed, but one of its words is inside a drafted name, cut differently by jieba;
- ``query``: missed, but the project's own name/goal has one of its words (anywhere in the text);
- ``borrowable@r``: missed, not in the query, but a training table whose project is at least
  ``r`` relevant to the query (the drafter's own relevance) has a row sharing a word with it;
- ``nowhere``: no training table at that relevance has such a row.

It also reports what keyword recall and on-topic rate would be if every row of the ``n``
most relevant training projects were added to the draft (an upper bound on borrowing):
the frontier between recall and topicality that corpus borrowing can reach.

Run: ``python -m jixiao.eval.suggest_analysis [--json]`` (real embedder, a few minutes).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence

import numpy as np

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.schema import GoalTable
from jixiao.eval.splits import grouped_kfold
from jixiao.eval.suggest_runner import _queryable, query_for, ranked
from jixiao.models.drafting.relevance import project_relevance, word_overlap, word_stats
from jixiao.models.drafting.text_match import content_words

RELEVANCE_CUTS = (0.1, 0.2, 0.3, 0.5)
TOP_N = (1, 2, 3, 5)


def table_relevance(suggester, q) -> dict[int, float]:
    """The drafter's relevance of every indexed table's project to the query."""
    ix = suggester.index
    text = normalize_text(" ".join(x for x in (q.name, q.goal) if x))
    qvec = suggester.embedder.encode_queries([text])
    cos = ix.proj_dense.similarities(qvec, np.arange(len(ix.proj_texts))).tolist()
    stats = ix.derived("drafting.word_stats", word_stats)
    idf = {w: stats.idf(w) for w in content_words(text)}
    typical, best = float(np.median(cos)), max(cos)
    out = {}
    for t in range(ix.n_tables):
        tid = ix.table(t).text_id
        out[t] = project_relevance(word_overlap(idf, ix.proj_texts[tid]), cos[tid], typical, best)
    return out


def bucket_of(
    cw: frozenset[str],
    drafted: frozenset[str],
    drafted_text: str,
    qwords: frozenset[str],
    qtext: str,
    best: float | None,
) -> str:
    """One gold row's bucket, the first that applies.

    ``segmentation``: missed only because jieba cut the same characters differently in the
    draft (基建工程项目审计完成率 has 基建工程, the gold row 基建): the draft is about it, the
    metric cannot see it. ``query`` counts a gold word found anywhere in the project's text,
    not only as one of the query's own jieba words (适龄儿童 in the text, 儿童 in the row).
    """
    if cw & drafted:
        return "hit"
    if not cw:
        return "no content word"
    if any(w in drafted_text for w in cw):
        return "segmentation"
    if cw & qwords or any(w in qtext for w in cw):
        return "query"
    if best is None:
        return "nowhere"
    cut = max((c for c in RELEVANCE_CUTS if best >= c), default=0.0)
    return f"borrowable@{cut}"


def analyse(tables: Sequence[GoalTable], make_suggester, folds: int = 5, k: int = 20) -> dict:
    buckets: Counter[str] = Counter()
    frontier: dict[int, list[int]] = {n: [0, 0, 0] for n in TOP_N}  # hits, on-topic, suggestions
    missed_words: Counter[str] = Counter()
    examples: list[dict] = []
    drafts: dict[str, dict] = {}
    n_gold = 0
    for fold in grouped_kfold(tables, k=folds):
        test, _ = _queryable([tables[i] for i in fold.test])
        if not test:
            continue
        sug = make_suggester([tables[i] for i in fold.train])
        ix = sug.index
        for t in test:
            q = query_for(t)
            items = ranked(sug.suggest(q, k=k))[:k]
            drafts[t.id] = {
                "project": t.project,
                "goal": t.goal,
                "draft": [(s.code, s.name, s.suggested_value, s.origin) for s in items],
                "gold": [(i.code, i.name, i.value) for i in t.indicators if i.code],
            }
            drafted = frozenset().union(*(content_words(s.name) for s in items))
            qwords = content_words(" ".join(x for x in (q.name, q.goal) if x))
            rel = table_relevance(sug, q)
            order = sorted(rel, key=lambda x: -rel[x])
            row_words = {x: [content_words(r.name) for r in ix.rows_of_table(x)] for x in order}
            rows = [i for i in t.indicators if i.code]
            topic = frozenset().union(
                content_words(" ".join(x for x in (t.project, t.goal) if x)),
                *(content_words(i.name) for i in rows),
            )
            for n in TOP_N:
                extra = [w for x in order[:n] for w in row_words[x]]
                allw = drafted.union(*extra) if extra else drafted
                frontier[n][0] += sum(bool(content_words(i.name) & allw) for i in rows)
                frontier[n][1] += sum(bool(content_words(s.name) & topic) for s in items)
                frontier[n][1] += sum(bool(w & topic) for w in extra)
                frontier[n][2] += len(items) + len(extra)
            drafted_text = " ".join(s.name for s in items)
            qtext = normalize_text(" ".join(x for x in (q.name, q.goal) if x))
            for ind in rows:
                n_gold += 1
                cw = content_words(ind.name)
                src = next((x for x in order if any(cw & w for w in row_words[x])), None)
                best = rel[src] if src is not None else None
                bucket = bucket_of(cw, drafted, drafted_text, qwords, qtext, best)
                buckets[bucket] += 1
                if bucket == "hit":
                    continue
                missed_words.update(cw)
                if len(examples) < 400:
                    examples.append(
                        {"table": t.id, "project": t.project, "gold": ind.name, "code": ind.code,
                         "bucket": bucket, "best_relevance": best,
                         "source": ix.table(src).project if src is not None else None}
                    )
    return {
        "gold_rows": n_gold,
        "buckets": {b: round(v / n_gold, 3) for b, v in sorted(buckets.items())},
        "bucket_counts": dict(buckets),
        "frontier": {
            n: {"keyword_recall": round(h / n_gold, 3), "on_topic": round(o / s, 3) if s else 0.0}
            for n, (h, o, s) in frontier.items()
        },
        "missed_words": missed_words.most_common(40),
        "examples": examples,
        "drafts": drafts,
    }


#: The buckets' stable ids stay in the JSON; the report shows these titles, in this order.
_TITLES = {
    "hit": "草稿命中",
    "no content word": "没有实词（关键词召回无法计入）",
    "segmentation": "未命中，但其词在草稿名称中（分词不同）",
    "query": "未命中，其词见于项目名称或目标",
}
_ORDER = {"hit": 0, "no content word": 1, "segmentation": 2, "query": 3, "borrowable": 4, "nowhere": 5}


def _report_order(item: tuple[str, float]) -> tuple[int, float]:
    head, _, cut = item[0].partition("@")
    return _ORDER.get(head, 9), -float(cut or 0)


def bucket_title(bucket: str) -> str:
    """A bucket id in Chinese: ``borrowable@0.3`` → 相关度 ≥ 0.3 的训练项目有共词指标."""
    if bucket.startswith("borrowable@"):
        return f"未命中，相关度 ≥ {bucket.split('@')[1]} 的训练项目有共词指标"
    if bucket == "nowhere":
        return "任何训练表都没有共词指标"
    return _TITLES.get(bucket, bucket)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--embedder")
    args = ap.parse_args(argv)
    from jixiao.eval.suggest_runner import real_suggester_factory
    from jixiao.models.suggest import load_tables

    out = analyse(load_tables(), real_suggester_factory(args.embedder))
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        return 0
    print(f"标注指标：{out['gold_rows']} 行")
    for b, v in sorted(out["buckets"].items(), key=_report_order):
        print(f"  {bucket_title(b):<34}{v:.3f}（{out['bucket_counts'][b]}）")
    print("把最相关的 n 个训练项目的所有指标都加入草稿：")
    for n, f in out["frontier"].items():
        print(f"  n={n}：关键词召回 {f['keyword_recall']:.3f}，切题率 {f['on_topic']:.3f}")
    print("未命中指标中最常见的词：", " ".join(f"{w}×{c}" for w, c in out["missed_words"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
