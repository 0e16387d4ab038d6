"""Training curves: `plot_history(history)` draws loss and metrics per epoch, train and
validation, and returns a `Picture` a notebook shows inline.

With matplotlib installed (the `plot` extra: `pip install -e '.[plot]'`) the figure is
matplotlib's; without it a small built-in SVG chart is drawn, so curves never need more
than the runtime dependencies. Files: .svg either way; .png and .pdf through matplotlib.
The LivePlot callback (keras_front.callbacks) redraws the same picture after each epoch.
"""

from __future__ import annotations

import html
import io
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from symgraph.display import Picture
from symgraph.drawing import write_atomic

__all__ = ["curves_of", "plot_history"]

# Train and validation colours (matplotlib's first two), shared by both drawers.
TRAIN, VAL = "#1f77b4", "#ff7f0e"


def curves_of(history: Any, metrics: Sequence[str] | None = None
              ) -> tuple[list[int], list[tuple[str, list[float], list[float] | None]]]:
    """(epochs, [(metric, train values, validation values or None)]) of a History, a
    `history.history` dict, or anything with those keys; `loss` comes first."""
    logs: Mapping[str, Sequence[Any]] = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(f"plot_history takes a History (what fit returns) or its .history "
                        f"dict, got {type(history).__name__}")
    names = [k for k in logs if not k.startswith("val_")]
    names += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in logs]
    if metrics is not None:
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise ValueError(f"plot_history: no {unknown} in the history (it has "
                             f"{sorted(logs)})")
        names = list(metrics)
    first = {k: i for i, k in enumerate(names)}
    names.sort(key=lambda k: (k != "loss", first[k]))
    if not names:
        raise ValueError("plot_history: the history is empty (did fit run an epoch?)")
    n = max(len(v) for v in logs.values())
    epochs = list(getattr(history, "epoch", None) or range(n))
    curves = []
    for k in names:
        train = [float(x) for x in logs.get(k, [])]
        val = [float(x) for x in logs[f"val_{k}"]] if f"val_{k}" in logs else None
        curves.append((k, train, val))
    return [e + 1 for e in epochs[:n]], curves


def plot_history(history: Any, to_file: str | os.PathLike | None = None,
                 metrics: Sequence[str] | None = None, backend: str = "auto",
                 title: str | None = None) -> Picture:
    """Loss and metric curves per epoch (train and `val_`), one panel per quantity.

    backend='auto' uses matplotlib when installed, else the built-in SVG; 'matplotlib'
    or 'svg' force one. `to_file` (.svg, or .png / .pdf with matplotlib) is written
    atomically. Returns the picture, which a notebook displays.
    """
    if backend not in ("auto", "matplotlib", "svg"):
        raise ValueError(f"plot_history: backend must be 'auto', 'matplotlib' or 'svg', "
                         f"got {backend!r}")
    epochs, curves = curves_of(history, metrics)
    ext = os.path.splitext(os.fspath(to_file))[1].lower().lstrip(".") if to_file else "svg"
    mpl = _matplotlib() if backend != "svg" else None
    if backend == "matplotlib" and mpl is None:
        raise RuntimeError("plot_history(backend='matplotlib'): matplotlib is not installed "
                           "(pip install matplotlib, or the project's `plot` extra)")
    if mpl is None and ext != "svg":
        raise RuntimeError(f"plot_history: writing a .{ext} file needs matplotlib, which is "
                           f"not installed (pip install matplotlib, or the project's `plot` "
                           f"extra); without it curves are drawn as .svg")
    if mpl is not None:
        fig = _figure(mpl, epochs, curves, title)
        svg = _save(fig, "svg").decode()
        data = svg.encode() if ext == "svg" else _save(fig, ext)
    else:
        svg = svg_chart(epochs, curves, title)
        data = svg.encode()
    if to_file:
        write_atomic(os.fspath(to_file), data)
    return Picture(svg=svg, title=title or "training history")


# ---------------------------------------------------------------- matplotlib


def _matplotlib() -> Any:
    try:
        from matplotlib.figure import Figure  # no pyplot: nothing shows twice in a notebook
    except ImportError:
        return None
    return Figure


def _figure(Figure: Any, epochs: list[int], curves: list, title: str | None) -> Any:
    fig = Figure(figsize=(4.2 * len(curves), 3.2), layout="constrained")
    axes = fig.subplots(1, len(curves), squeeze=False)[0]
    for ax, (name, train, val) in zip(axes, curves, strict=True):
        if train:
            ax.plot(epochs[:len(train)], train, "o-", color=TRAIN, ms=3, label="train")
        if val:
            ax.plot(epochs[:len(val)], val, "s--", color=VAL, ms=3, label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def _save(fig: Any, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


# ---------------------------------------------------------------- built-in SVG

_W, _H, _L, _R, _T, _B = 360, 250, 56, 14, 30, 40  # panel size and margins (px)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About n round numbers covering [lo, hi] (1, 2, 5 times a power of ten apart)."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0]
    if hi <= lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1)
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 12))
    return ticks


def svg_chart(epochs: list[int], curves: list, title: str | None = None) -> str:
    """Panels side by side, one per quantity: train (solid) and validation (dashed)."""
    width, top = _W * len(curves), 22 if title else 0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_H + top}" '
           f'viewBox="0 0 {width} {_H + top}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{_H + top}" fill="white"/>']
    if title:
        out.append(f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13">'
                   f"{html.escape(title)}</text>")
    for i, (name, train, val) in enumerate(curves):
        out += _panel(i * _W, top, epochs, name, train, val)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _panel(x0: float, y0: float, epochs: list[int], name: str, train: list[float],
           val: list[float] | None) -> list[str]:
    values = [v for v in train + (val or []) if math.isfinite(v)]
    yt = nice_ticks(min(values, default=0.0), max(values, default=1.0))
    xt = nice_ticks(min(epochs, default=1), max(epochs, default=1))
    xt = [t for t in xt if float(t).is_integer()] or xt
    lo_x, hi_x, lo_y, hi_y = xt[0], xt[-1], yt[0], yt[-1]
    pw, ph = _W - _L - _R, _H - _T - _B

    def px(e: float) -> float:
        return x0 + _L + (e - lo_x) / ((hi_x - lo_x) or 1) * pw

    def py(v: float) -> float:
        return y0 + _T + ph - (v - lo_y) / ((hi_y - lo_y) or 1) * ph

    out = [f'<g class="panel"><text x="{x0 + _L + pw / 2}" y="{y0 + 18}" text-anchor="middle" '
           f'font-size="13">{html.escape(name)}</text>',
           f'<rect x="{x0 + _L}" y="{y0 + _T}" width="{pw}" height="{ph}" fill="none" '
           f'stroke="#888"/>']
    for t in yt:
        out.append(f'<line x1="{x0 + _L}" x2="{x0 + _L + pw}" y1="{py(t):.1f}" '
                   f'y2="{py(t):.1f}" stroke="#ddd"/><text x="{x0 + _L - 4}" '
                   f'y="{py(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    for t in xt:
        out.append(f'<text x="{px(t):.1f}" y="{y0 + _T + ph + 14}" text-anchor="middle">'
                   f"{t:g}</text>")
    out.append(f'<text x="{x0 + _L + pw / 2}" y="{y0 + _H - 6}" text-anchor="middle">'
               f"epoch</text>")
    for label, series, colour, dash in (("train", train, TRAIN, ""),
                                        ("validation", val, VAL, ' stroke-dasharray="5 3"')):
        if not series:
            continue
        pts = [(px(e), py(v)) for e, v in zip(epochs, series, strict=False)
               if math.isfinite(v)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline class="{label}" points="{path}" fill="none" '
                   f'stroke="{colour}" stroke-width="2"{dash}/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>' for x, y in pts]
    lx, ly = x0 + _L + pw - 92, y0 + _T + 8
    for k, (label, colour, dash) in enumerate((("train", TRAIN, ""), ("validation", VAL,
                                               ' stroke-dasharray="5 3"'))):
        if label == "validation" and not val:
            continue
        out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly + 14 * k}" y2="{ly + 14 * k}" '
                   f'stroke="{colour}" stroke-width="2"{dash}/><text x="{lx + 22}" '
                   f'y="{ly + 14 * k + 4}">{label}</text>')
    out.append("</g>")
    return out
