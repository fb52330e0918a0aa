"""How the CLI shows the assistant's work: the checked draft, its flags and why anything was dropped."""

from __future__ import annotations

import logging

from jixiao.errors import JixiaoError
from jixiao.models.llm.assist import STATUS_LABELS
from jixiao.models.llm.polish import TierChecker
from jixiao.models.llm.rewrite import RewriteResult
from jixiao.models.llm.types import PolishedDraft
from jixiao.service.commands.parse import pad
from jixiao.settings import Settings

log = logging.getLogger("jixiao.cli")

ORIGIN_LABELS = {"llm": "大模型改写", "corpus": "语料库", "project": "本项目", "pattern": "常用模式"}


class ClassifierChecker:
    """The shipped classifier as the validator's tier check; None when it is not trained."""

    def __init__(self, model) -> None:  # noqa: ANN001 - a TierClassifier
        self._model = model

    def classify(self, inputs):  # noqa: ANN001, ANN201
        return self._model.predict(inputs)

    @classmethod
    def load(cls, settings: Settings) -> tuple[TierChecker | None, str | None]:
        from jixiao.models.classifier import load_shipped

        try:
            return cls(load_shipped(settings)), None
        except JixiaoError as e:
            log.info("分类器不可用，无法核对大模型回答：%s", e)
            return None, "分类器尚未训练（jixiao train），大模型给出的类别未经分类器核对"


class SuggestingEngine:
    """The review CLI's classifier plus, when the index is built, similar projects' indicators
    as extra grounding for rewrites (never built here: review must not start a long job)."""

    def __init__(self, classifier_engine) -> None:  # noqa: ANN001
        self._classifier = classifier_engine
        self._suggester = None
        from jixiao.settings import get_settings

        settings = get_settings()
        if not settings.index_dir.is_dir() or not any(settings.index_dir.iterdir()):
            return
        try:
            from jixiao.models.suggest import Suggester

            self._suggester = Suggester.load(settings, rebuild=False, progress=False)
        except JixiaoError as e:
            log.info("没有可用索引，无法提供改写候选：%s", e)

    def classify(self, inputs):  # noqa: ANN001, ANN201
        return self._classifier.classify(inputs)

    def suggest(self, query, k):  # noqa: ANN001, ANN201
        if self._suggester is None:
            raise JixiaoError("索引尚未建立（jixiao index build）")
        return self._suggester.suggest(query, k=k)


def render_rewrites(res: RewriteResult) -> str:
    """Each proposal beside the row it would replace; the user decides."""
    if res.status == "none":
        return "  大模型改写建议: 无需改写的行"
    lines = [f"  大模型改写建议（{res.model or '未配置'}，仅供参考，未自动采用）:"]
    for p in res.proposals:
        lines.append(f"    第 {p.indicator_index + 1} 行  原: {p.original_name}  {p.original_value or '-'}")
        lines.append(f"           建议: [{p.code} {p.level2}] {p.name}  {p.value}  (依据 {','.join(p.candidate_ids)})")
        for f in p.flags:
            lines.append(f"           ! {f.message}")
    for w in res.warnings:
        lines.append(f"    提示: {w}")
    return "\n".join(lines)


def render_polished(d: PolishedDraft) -> str:
    who = f"（模型 {d.model}）" if d.model else ""
    lines = ["", f"大模型润色{who}：{STATUS_LABELS[d.status]}，用时 {d.elapsed_s:.1f} 秒", ""]
    goal_mark = "  [大模型改写]" if d.goal_origin == "llm" else ""
    lines += ["绩效目标:", f"  {d.goal_text}{goal_mark}", ""]
    for r in d.indicators:
        mark = ORIGIN_LABELS.get(r.origin, r.origin)
        cites = ",".join(r.candidate_ids)
        lines.append(f"{r.code:<5} {pad(r.name, 30)} {pad(r.value or '-', 14)} [{mark}; 依据 {cites}]")
        if r.origin == "llm" and (r.name, r.value) != (r.grounded_name, r.grounded_value):
            lines.append(f"      原检索结果: {r.grounded_name}  {r.grounded_value or '-'}")
        for f in r.flags:
            lines.append(f"      ! {f.message}")
    for w in d.warnings:
        lines.append(f"提示: {w}")
    return "\n".join(lines)
