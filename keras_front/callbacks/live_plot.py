"""LivePlot: training curves redrawn after every epoch, in place in a notebook (or into a
file), next to fit's own progress bar: `model.fit(..., callbacks=[LivePlot()])`."""

from __future__ import annotations

import os
import warnings
from typing import Any

from ..utils.plotting import plot_history
from .base import Callback


def _notebook_display() -> Any:
    """IPython's `display` when running in a Jupyter kernel, else None."""
    try:  # IPython is optional: there only when running under Jupyter
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return None
    shell = get_ipython()
    return display if shell is not None and hasattr(shell, "kernel") else None


class LivePlot(Callback):
    """Redraws the loss and metric curves every `every` epochs (and at the end).

    In a notebook the picture under the cell is updated in place; `to_file` (.svg, or
    .png with matplotlib) is rewritten atomically each time, anywhere. With neither, it
    warns once that there is nowhere to draw. `metrics` picks the panels (default: all).
    """

    def __init__(self, to_file: str | os.PathLike | None = None,
                 metrics: list[str] | None = None, every: int = 1,
                 backend: str = "auto") -> None:
        super().__init__()
        if every < 1:
            raise ValueError(f"LivePlot: every must be >= 1, got {every}")
        self.to_file, self.metrics, self.every, self.backend = to_file, metrics, every, backend
        self.logs: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.draws = 0
        self._handle: Any = None
        self._display = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start new curves; find out where to draw them."""
        self.logs, self.epochs, self._handle = {}, [], None
        self._display = _notebook_display()
        if self._display is None and self.to_file is None:
            warnings.warn("LivePlot: not in a notebook and no to_file given: the curves "
                          "are drawn nowhere", stacklevel=2)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Record the epoch's values and redraw every `every` epochs."""
        self.epochs.append(epoch)
        for k, v in (logs or {}).items():
            self.logs.setdefault(k, []).append(float(v))
        if len(self.epochs) % self.every == 0:
            self.draw()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """The last epochs, when `every` skipped them."""
        if self.epochs and len(self.epochs) % self.every:
            self.draw()

    def draw(self) -> None:
        """Draw the curves so far (inline and/or into to_file)."""
        if not self.logs or (self._display is None and self.to_file is None):
            return
        picture = plot_history(self, self.to_file, self.metrics, self.backend)
        self.draws += 1
        if self._display is not None:
            if self._handle is None:
                self._handle = self._display(picture, display_id=True)
            else:
                self._handle.update(picture)

    @property
    def history(self) -> dict[str, list[float]]:
        """The values so far, as `History.history` holds them (what plot_history reads)."""
        return self.logs

    @property
    def epoch(self) -> list[int]:
        """The epoch indices so far."""
        return self.epochs
