"""Word- and character-level matching shared by the drafter and its evaluation.

One bigram-Dice and one content-word definition serve both: the suggester decides with
them whether a row fits a project, and the evaluation measures recall and topicality
with the same yardstick, so the two cannot silently disagree about what "the same
indicator" or "about the same thing" means.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

from jixiao.corpus.normalize import name_key, normalize_text

jieba.setLogLevel(logging.WARNING)

#: Words that say nothing about what a project is about: tier names, indicator heads,
#: verbs of progress, and the administrative vocabulary every table shares. A row made
#: only of these fits any project (资金支付及时率, 服务对象满意度).
GENERIC_WORDS = frozenset(
    [
        "指标",
        "数量",
        "质量",
        "时效",
        "成本",
        "效益",
        "经济",
        "社会",
        "生态",
        "可持续",
        "影响",
        "满意",
        "满意度",
        "服务",
        "对象",
        "服务对象",
        "提高",
        "提升",
        "完成",
        "实现",
        "达到",
        "保障",
        "促进",
        "改善",
        "加强",
        "推进",
        "推动",
        "确保",
        "有效",
        "明显",
        "显著",
        "不断",
        "持续",
        "进一步",
        "开展",
        "实施",
        "落实",
        "建设",
        "建立",
        "健全",
        "完善",
        "做好",
        "加快",
        "按时",
        "按期",
        "及时",
        "及时率",
        "完成率",
        "合格率",
        "达标率",
        "覆盖率",
        "到位率",
        "执行率",
        "知晓率",
        "使用率",
        "发放率",
        "准确率",
        "通过率",
        "合规率",
        "支付率",
        "拨付率",
        "比例",
        "比率",
        "程度",
        "水平",
        "情况",
        "时间",
        "日期",
        "年度",
        "全年",
        "当年",
        "年底",
        "年内",
        "月底",
        "项目",
        "工作",
        "任务",
        "计划",
        "目标",
        "资金",
        "经费",
        "预算",
        "支出",
        "支付",
        "拨付",
        "发放",
        "使用",
        "管理",
        "规范",
        "制度",
        "相关",
        "要求",
        "标准",
        "规定",
        "验收",
        "质量",
        "合格",
        "达标",
        "正常",
        "运行",
        "群众",
        "人员",
        "人数",
        "人次",
        "次数",
        "个数",
        "总数",
        "总量",
        "数",
        "量",
        "率",
        "度",
        "性",
        "受益",
        "受益人",
        "受益人群",
        "受益群众",
        "受益群体",
        "单位",
        "部门",
        "全市",
        "全县",
        "全区",
        "全省",
        "本级",
        "其他",
        "各类",
        "相关",
        "工程",
        "成效",
        "效果",
        "能力",
        "意识",
        "作用",
        "机制",
        "长效",
        "合规",
        "合规性",
        "及时性",
        "相关性",
        "规范性",
        "完整性",
        "准确性",
        "安全性",
        "公里",
        "万元",
        "元",
    ]
)

#: Measure words a drafter appends to an object (``养护里程``, ``维修面积``): not a topic.
GENERIC_WORDS |= frozenset(
    {"里程", "面积", "长度", "户数", "场次", "期数", "规模", "总成本", "单位成本", "成本控制"}
    | {"完成时间", "完好率", "达标", "总额", "公里", "万元", "合规", "合规性", "及时性", "相关性"}
)

_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=50_000)
def key_of(text: str) -> str:
    """``name_key``, cached: the drafter compares the same corpus names on every query."""
    return name_key(text)


@lru_cache(maxsize=50_000)
def _bigrams(key: str) -> frozenset[str]:
    if len(key) < 2:
        return frozenset({key}) if key else frozenset()
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def bigrams(text: str) -> set[str]:
    """Character bigrams of the name key; a one-character key is its own bigram."""
    return set(_bigrams(key_of(text)))


def bigram_dice(a: str, b: str) -> float:
    """2·|A∩B| / (|A|+|B|) over the bigram sets of the normalised names; 0 when either is empty."""
    return dice_sets(_bigrams(key_of(a)), _bigrams(key_of(b)))


def dice_sets(x: set[str] | frozenset[str], y: set[str] | frozenset[str]) -> float:
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


@lru_cache(maxsize=50_000)
def words(text: str) -> tuple[str, ...]:
    """jieba's words of the normalised text (precise mode), punctuation and spaces dropped."""
    t = normalize_text(text or "")
    return tuple(w for w in jieba.lcut(t) if w.strip() and (_CJK.search(w) or w.isalnum()))


@lru_cache(maxsize=50_000)
def content_words(text: str) -> frozenset[str]:
    """Words of two or more Chinese characters that say what a text is about.

    Numbers, single characters and ``GENERIC_WORDS`` are left out: ``完成农村公路日常养护120公里``
    gives {农村公路, 日常, 养护, 公里}.
    """
    return frozenset(
        w
        for w in words(text)
        if len(w) >= 2 and _CJK.search(w) and not _DIGIT.search(w) and w not in GENERIC_WORDS
    )


def shares_content_word(a: str, b_words: frozenset[str] | set[str]) -> bool:
    return bool(content_words(a) & b_words)
