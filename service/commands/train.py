"""``jixiao train``: rebuild the shipped tier classifier from the corpus, on CPU.

Trains on the store's labels, which are the corrected ones wherever a reviewer
recorded a correction (``PATCH /v1/corpus/tables/{id}/indicators/{n}``).
Reproducible from scratch: the corpus store, the embedding model (converted on first
use) and the classifier's internal folds are all deterministic. Progress on stderr; the
artifact folder on stdout, so scripts can pick it up.
"""

from __future__ import annotations

import argparse
import sys

from jixiao.models.classifier import APPROACHES, SHIPPED_APPROACH, train_shipped
from jixiao.service.commands.progress_log import show_progress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="用语料库训练指标类别分类器，保存到 $JIXIAO_HOME/models/classifier",
    )
    p.add_argument(
        "--approach",
        choices=sorted(APPROACHES),
        default=SHIPPED_APPROACH,
        help=f"训练并发布哪种方法（默认 {SHIPPED_APPROACH}，分组交叉验证最好）",
    )
    p.add_argument(
        "--holdout",
        metavar="PATTERN",
        action="append",
        default=[],
        help="训练时留出编号或来源匹配此通配模式的表格（可重复），以便之后作为未见过的表格评估",
    )
    p.add_argument("--quiet", action="store_true", help="不在标准错误输出显示进度")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from jixiao.corpus.store import open_store

    corrected = open_store().corrected_rows()
    if not args.quiet:
        show_progress("训练", "jixiao.models.classifier.train")
        # The store returns corrected labels, so training learns from reviewers' corrections.
        print(f"[训练] {corrected} 个指标行带有审核人员的更正", file=sys.stderr)
    path = train_shipped(progress=not args.quiet, approach=args.approach, holdout=args.holdout)
    print(path)
    return 0
