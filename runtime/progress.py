"""Progress of a build's stages: a bar per stage on a terminal, plain lines otherwise (CI logs, pipes)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._stage, self._total, self._done, self._start, self._drawn = "", 0, 0, 0.0, 0.0

    def start(self, stage: str, total: int = 0) -> None:
        self._stage, self._total, self._done, self._start = stage, total, 0, time.perf_counter()
        if not self.enabled:
            return
        if self.tty:
            self._draw(force=True)
        else:
            self.stream.write(f"semc: {stage}" + (f" ({total})" if total else "") + "\n")
            self.stream.flush()

    def advance(self, count: int = 1) -> None:
        self._done += count
        if self.tty:
            self._draw()

    def finish(self, note: str = "") -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self._start
        suffix = f" {note}" if note else ""
        if self.tty:
            self._draw(force=True)
            self.stream.write(f" {elapsed:.1f}s{suffix}\n")
        else:
            self.stream.write(f"semc: {self._stage} done in {elapsed:.1f}s{suffix}\n")
        self.stream.flush()

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        if self._total:
            filled = int(30 * min(self._done, self._total) / self._total)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {self._done}/{self._total}"
        else:
            bar = "..."
        self.stream.write(f"\r{self._stage:<12} {bar}")
        self.stream.flush()
