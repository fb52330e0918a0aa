"""PNG plots for evaluation reports (matplotlib, Agg backend: no display on a server).

Axes and tier labels are in Chinese. The font is Noto Sans SC (SIL OFL) from the
``justmytype-intl-cjk`` dependency, registered with matplotlib on first use, so no
system font is needed; any installed CJK font also works. Without one (the dependency
missing), codes (``22``) and English axis titles are drawn and the HTML report carries
the legend, because a missing font turns every Chinese label into boxes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from jixiao.eval.classification_metrics import LevelMetrics, ReliabilityBin  # noqa: E402

_CJK_HINTS = (
    "CJK",
    "WenQuanYi",
    "Noto Sans SC",
    "Noto Serif SC",
    "SimHei",
    "SimSun",
    "Heiti",
    "Source Han",
    "Droid Sans Fallback",
)


def _register_shipped_font() -> None:
    """Add Noto Sans SC from ``justmytype-intl-cjk`` to matplotlib's fonts, if installed."""
    try:
        import justmytype_intl_cjk
    except ImportError:
        return
    root = Path(justmytype_intl_cjk.__file__).parent / "fonts"
    for path in sorted(root.glob("**/NotoSansSC*.ttf")):
        font_manager.fontManager.addfont(str(path))


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of a font that draws Chinese, or None."""
    _register_shipped_font()
    for f in font_manager.fontManager.ttflist:
        if any(h.lower() in f.name.lower() for h in _CJK_HINTS):
            return f.name
    return None


def tick_label(code: str, names: dict[str, str]) -> str:
    """``22`` or, with a CJK font, ``22 社会效益指标``."""
    return f"{code} {names[code]}" if cjk_font() and code in names else code


def axis_title(chinese: str, english: str) -> str:
    """An axis or legend title in Chinese where a CJK font draws it."""
    return chinese if cjk_font() else english


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _fig(**kw):
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
    return plt.subplots(**kw)


def confusion_heatmap(level: LevelMetrics, path: Path, names: dict[str, str], title: str) -> Path:
    labels = [tick_label(c, names) for c in level.labels]
    m = np.asarray(level.confusion, dtype=float) if level.labels else np.zeros((1, 1))
    size = max(4.0, 0.55 * len(labels) + 2.5)
    fig, ax = _fig(figsize=(size, size * 0.9))
    # Row-normalised colours (recall per gold class) so rare tiers are readable; counts printed.
    rows = m.sum(axis=1, keepdims=True)
    shade = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    im = ax.imshow(shade, cmap="Blues", vmin=0, vmax=1)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j]:
                ax.text(
                    j,
                    i,
                    int(m[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if shade[i, j] > 0.6 else "black",
                )
    ax.set_xticks(
        range(len(labels)), labels, rotation=45 if cjk_font() else 0, ha="right" if cjk_font() else "center"
    )
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel(axis_title("预测类别", "predicted"))
    ax.set_ylabel(axis_title("标注类别", "gold"))
    ax.set_title(title)
    fig.colorbar(
        im, ax=ax, fraction=0.046, pad=0.04, label=axis_title("占该标注类别的比例", "share of gold row")
    )
    return _save(fig, path)


def reliability_diagram(bins: list[ReliabilityBin], ece: float | None, path: Path, title: str) -> Path:
    fig, (ax, ax2) = _fig(nrows=2, figsize=(5, 6), gridspec_kw={"height_ratios": [3, 1]}, sharex=True)
    width = bins[0].upper - bins[0].lower if bins else 0.1
    centers = [(b.lower + b.upper) / 2 for b in bins]
    ax.bar(
        centers,
        [b.accuracy or 0.0 for b in bins],
        width=width * 0.9,
        color="#4c72b0",
        label=axis_title("准确率", "accuracy"),
    )
    ax.plot([0, 1], [0, 1], "--", color="grey", label=axis_title("完全校准", "perfect calibration"))
    conf = [(c, b.confidence) for c, b in zip(centers, bins, strict=True) if b.confidence is not None]
    if conf:
        ax.plot(
            [c for c, _ in conf],
            [v for _, v in conf],
            "o",
            color="#dd8452",
            label=axis_title("平均置信度", "mean confidence"),
        )
    ax.set_ylim(0, 1)
    ax.set_ylabel(axis_title("准确率", "accuracy"))
    ax.set_title(f"{title} (ECE {ece:.3f})" if ece is not None else title)
    ax.legend(loc="upper left", fontsize=8)
    ax2.bar(centers, [b.count for b in bins], width=width * 0.9, color="#8c8c8c")
    ax2.set_ylabel(axis_title("行数", "rows"))
    ax2.set_xlabel(axis_title("置信度", "confidence"))
    ax2.set_xlim(0, 1)
    return _save(fig, path)


def grouped_bars(
    codes: list[str],
    series: dict[str, list[float]],
    path: Path,
    names: dict[str, str],
    title: str,
    ylabel: str,
) -> Path:
    fig, ax = _fig(figsize=(max(5.0, 0.7 * len(codes) + 2), 4))
    x = np.arange(len(codes))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=name)
    ax.set_xticks(x, [tick_label(c, names) for c in codes], rotation=45 if cjk_font() else 0)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, path)
