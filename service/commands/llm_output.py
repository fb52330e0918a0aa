"""How the CLI shows the assistant's work: the checked draft, its flags and why anything was dropped."""

from __future__ import annotations

import logging

from jixiao.corpus.errors import JixiaoError
from jixiao.models.llm.assist import STATUS_LABELS
from jixiao.models.llm.polish import TierChecker
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
            log.info("classifier unavailable for the LLM check: %s", e)
            return None, "分类器尚未训练（jixiao train），大模型给出的类别未经分类器核对"


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
