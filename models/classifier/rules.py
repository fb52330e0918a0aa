"""Approach (a): the rules a reviewer applies, read off the indicator's name and value.

A reviewer places most rows at a glance: 满意度 in the name is satisfaction, a date is
timeliness, 元/人 is cost, a 合格率 is quality, a count of 人次 is quantity. Each rule
here is one such glance, in the order a reviewer would trust them. The first rule that
fires decides; how far that rule can be trusted is learned in ``fit`` (the labels of
the training rows it fired on, smoothed towards the rule's own tier), so its
probabilities are calibrated by counting rather than by hand.

``rule_features`` exposes every rule as a 0/1 feature so the ensemble can use them too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.schema import ParsedValue, ValueKind
from jixiao.corpus.values import parse_value
from jixiao.models.classifier.contract import ClassifyInput, Explanation, TierPrediction
from jixiao.models.classifier.labels import LABELS, make_prediction, training_labels


@dataclass(frozen=True)
class Facts:
    """What the rules look at, computed once per input."""

    name: str
    value: ParsedValue

    @property
    def unit(self) -> str:
        return self.value.unit or ""


def facts_of(x: ClassifyInput) -> Facts:
    return _facts(x.name, x.value)


@lru_cache(maxsize=65536)
def _facts(name: str, value: str | None) -> Facts:
    """Normalising and parsing cost more than all the rules: one row's facts are worked out
    once, though prediction, explanation and the linear head's features all ask for them."""
    return Facts(name=normalize_text(name), value=parse_value(value))


def _has(words: str) -> Callable[[str], bool]:
    """A test for any of the space-separated ``words`` in a text."""
    pattern = re.compile("|".join(map(re.escape, words.split())))
    return lambda s: bool(pattern.search(s))


_SATISFACTION = _has("满意")
_TIME_NAME = _has("及时 按时 按期 时限 时间 期限 时效 进度 审限 完成时 年底前 月底前")
_COST_NAME = _has("成本 单价 费用 预算控制 投资额 造价")
_STANDARD_NAME = _has("标准 补助额 补贴额 均公用经费 人均 生均 户均")
_QUALITY_RATE = _has("合格 达标 准确 覆盖 完好 验收 通过 合规 规范 正确 执行率 完成率 处置率")
#: 经济效益: money the project brings or saves (income, output, profit, tax, interest, assets,
#: surpluses, sales). General domain vocabulary, not copied from rows.
_ECONOMIC = _has("收入 增收 经济 产值 节约 利润 税收 效益 营收 旅游综合 利息 资产 结余 创收 销售额 营业额")
#: 生态效益 in the official taxonomy: the environment and natural resources (emissions, pollution,
#: greening, energy, water and soil). General domain vocabulary, not copied from rows.
_ECOLOGY = _has(
    "生态 环境 绿化 排放 污染 能耗 节能 水质 空气 森林 植被 农药 环保 环评 减排 低碳 碳汇 水土 废水 废气 扬尘 湿地"
)
_SUSTAIN = _has("可持续 长效 持续 长期 机制 体系 制度建设")
#: A value that states a duration (持续保障, 长期, 长效) is how drafters fill a 可持续影响 row.
_LASTING_VALUE = _has("持续 长期 长效 永久")
_SOCIAL = _has("知晓 意识 素养 认知 社会 群众 公众 受益 就业 保障 提升 提高 改善")
_COUNT_UNITS = _has(
    "人 次 个 家 户 项 场 所 台 件 处 条 份 篇 册 批 期 辆 株 亩 平方米 公里 千米 米 吨 粒 套 座 名 只 头 间 本 例 万"
)
_MONEY_UNITS = ("元", "万元", "亿元")


def _money(f: Facts) -> bool:
    return f.value.kind is ValueKind.NUMERIC and any(f.unit.startswith(u) for u in _MONEY_UNITS)


def _per_unit_money(f: Facts) -> bool:
    return f.value.kind is ValueKind.NUMERIC and "元/" in f.unit


def _percent(f: Facts) -> bool:
    return f.value.kind is ValueKind.NUMERIC and (f.unit.startswith("%") or f.unit.startswith("百分比"))


def _count(f: Facts) -> bool:
    return (
        f.value.kind is ValueKind.NUMERIC and not _percent(f) and not _money(f) and bool(_COUNT_UNITS(f.unit))
    )


@dataclass(frozen=True)
class Rule:
    """One glance: a description a reader understands, the tier it points to, the test."""

    description: str
    code: str
    fires: Callable[[Facts], bool]


RULES: tuple[Rule, ...] = (
    Rule("名称含“满意” → 31 满意度", "31", lambda f: _SATISFACTION(f.name)),
    Rule("指标值是日期或期限 → 13 时效", "13", lambda f: f.value.kind is ValueKind.DATE),
    Rule("名称含及时/按时/时间/期限/进度 → 13 时效", "13", lambda f: _TIME_NAME(f.name)),
    Rule("指标值是单位金额（元/人、元/年…）→ 14 成本", "14", _per_unit_money),
    Rule("名称含成本/单价/费用 → 14 成本", "14", lambda f: _COST_NAME(f.name)),
    Rule(
        "名称含标准/人均/生均 且指标值是金额 → 14 成本", "14", lambda f: _STANDARD_NAME(f.name) and _money(f)
    ),
    Rule("名称含生态/环境/排放/节能… → 23 生态效益", "23", lambda f: _ECOLOGY(f.name)),
    Rule("名称含收入/增收/经济/产值… → 21 经济效益", "21", lambda f: _ECONOMIC(f.name)),
    Rule("名称含可持续/长效/机制/长期 → 24 可持续影响", "24", lambda f: _SUSTAIN(f.name)),
    Rule(
        "指标值是持续/长期/长效等期限描述 → 24 可持续影响",
        "24",
        lambda f: f.value.kind is not ValueKind.NUMERIC and _LASTING_VALUE(f.value.text),
    ),
    Rule("名称含合格/达标/覆盖/验收…（率）→ 12 质量", "12", lambda f: _QUALITY_RATE(f.name)),
    Rule("名称含知晓/意识/受益/就业/提升… → 22 社会效益", "22", lambda f: _SOCIAL(f.name)),
    Rule("指标值是金额 → 14 成本", "14", _money),
    Rule("指标值是计数（人次、个、家…）→ 11 数量", "11", _count),
    Rule("指标值是百分比 → 12 质量", "12", _percent),
    Rule("指标值是定性描述 → 22 社会效益", "22", lambda f: f.value.kind is ValueKind.QUALITATIVE),
    Rule("指标值是无单位数字 → 11 数量", "11", lambda f: f.value.kind is ValueKind.NUMERIC),
)
NO_RULE = "无规则命中：按训练集的类别分布"


def fired_rules(x: ClassifyInput) -> list[int]:
    """Indices of every rule that fires on ``x``, in priority order."""
    f = facts_of(x)
    return [i for i, r in enumerate(RULES) if r.fires(f)]


def rule_features(X: list[ClassifyInput]) -> np.ndarray:
    """(n, len(RULES)) 0/1 matrix: every rule as a feature, for models that weigh them."""
    out = np.zeros((len(X), len(RULES)), dtype=np.float32)
    for n, x in enumerate(X):
        out[n, fired_rules(x)] = 1.0
    return out


class RulesClassifier:
    """First firing rule decides; P(label | rule) is counted on the training rows it fired on.

    ``strength`` is the weight, in pseudo-rows, of the rule's own tier: with no training
    rows a rule keeps its hand-given tier, with many its observed record takes over.
    """

    approach = "rules"

    def __init__(self, strength: float = 3.0, smoothing: float = 0.5):
        self.strength = strength
        self.smoothing = smoothing
        self.classes: list[str] = list(LABELS)
        self.table_: np.ndarray | None = None  # (len(RULES) + 1, len(classes))

    def _prior_table(self) -> np.ndarray:
        k = len(self.classes)
        table = np.full((len(RULES) + 1, k), self.smoothing)
        for i, rule in enumerate(RULES):
            table[i, self.classes.index(rule.code)] += self.strength
        return table

    def fit(self, X: list[ClassifyInput], y: list[str]) -> RulesClassifier:
        labels = training_labels(y)
        table = self._prior_table()
        for x, label in zip(X, labels, strict=True):
            fired = fired_rules(x)
            table[fired[0] if fired else len(RULES), self.classes.index(label)] += 1.0
        self.table_ = table / table.sum(axis=1, keepdims=True)
        return self

    def predict_proba(self, X: list[ClassifyInput]) -> np.ndarray:
        table = self.table_ if self.table_ is not None else self._normalised_prior()
        return np.stack([table[self._first(x)] for x in X]) if X else np.zeros((0, len(self.classes)))

    def _normalised_prior(self) -> np.ndarray:
        t = self._prior_table()
        return t / t.sum(axis=1, keepdims=True)

    @staticmethod
    def _first(x: ClassifyInput) -> int:
        fired = fired_rules(x)
        return fired[0] if fired else len(RULES)

    def explain(self, x: ClassifyInput) -> list[str]:
        fired = fired_rules(x)
        return [RULES[i].description for i in fired] if fired else [NO_RULE]

    def predict(self, X: list[ClassifyInput]) -> list[TierPrediction]:
        probs = self.predict_proba(X)
        return [
            make_prediction(self.classes, p, Explanation(rules=self.explain(x)))
            for x, p in zip(X, probs, strict=True)
        ]

    def save(self, path: Path) -> None:
        from jixiao.models.classifier.persist import save_model

        save_model(self, path)

    @classmethod
    def load(cls, path: Path) -> RulesClassifier:
        from jixiao.models.classifier.persist import load_model

        return load_model(path, expected=cls)


__all__ = ["RULES", "Rule", "RulesClassifier", "fired_rules", "rule_features"]
