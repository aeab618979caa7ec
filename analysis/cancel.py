"""The two plain hooks that long work accepts: a progress callback and a cancel token."""

from __future__ import annotations

import threading
from typing import Callable, Optional

ProgressFn = Callable[[int, int], None]
"""``progress(done, total)``: called by long work, at most about once per percent."""


class Cancelled(Exception):
    """Raised inside long work when its :class:`CancelToken` has been cancelled."""


class CancelToken:
    """A thread-safe flag that long work checks between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class ProgressThrottle:
    """Forward ``progress(done, total)`` only when it advances by >= 1 % (and always at the end)."""

    def __init__(self, progress: Optional[ProgressFn], total: int) -> None:
        self._progress = progress
        self._total = max(int(total), 1)
        self._step = max(self._total // 100, 1)
        self._last = -self._step

    def __call__(self, done: int) -> None:
        if self._progress is None:
            return
        if done - self._last >= self._step or done >= self._total:
            self._last = done
            self._progress(done, self._total)


def check(cancel: Optional[CancelToken]) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set; accept ``None`` for no token."""
    if cancel is not None:
        cancel.raise_if_cancelled()
