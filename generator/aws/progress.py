"""A one-line progress indicator for long listings, on a terminal only.

Why: listing the streams of 5,000 accounts takes a while; a user at a terminal should see that
it moves, while CI logs and ``--json`` pipelines must get no carriage-return noise at all.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class Progress:
    """Counts listed items from several threads and redraws one stderr line when enabled."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = self._stream.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._drawn = False

    def add(self, what: str, count: int) -> None:
        """Record ``count`` more items of ``what`` (e.g. "log streams") and redraw."""
        with self._lock:
            self._counts[what] = self._counts.get(what, 0) + count
            if self.enabled:
                line = ", ".join(f"{n:,} {label}" for label, n in self._counts.items())
                self._stream.write(f"\rverify: listed {line}")
                self._stream.flush()
                self._drawn = True

    def done(self) -> None:
        """End the progress line so that the report starts on a clean line."""
        with self._lock:
            if self._drawn:
                self._stream.write("\r\033[K")
                self._stream.flush()
                self._drawn = False
