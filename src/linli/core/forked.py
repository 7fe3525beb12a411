"""Work handed to a forked copy of this process 并行计算, so that a bulk job uses the machine's
second core: the child sees the parent's memory as it was at the fork (nothing is copied or
pickled on the way in) and sends its result back through a pipe.

Only for pure computation: the child must not touch the database, files or sockets it shares
with the parent, and it leaves with `os._exit`, running no clean-up of the parent's. Where
fork is not available, or the machine has one core, the work runs in the caller when asked for.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
from collections.abc import Callable
from typing import Any


class Forked:
    """`function(*args)` running in a child; `result()` waits for it. Use as a context manager,
    so that a child whose result is never asked for is stopped and reaped."""

    def __init__(
        self, function: Callable[..., Any], *args, fork: bool = True, timeout: float = 120.0
    ):
        self.function, self.args, self.timeout = function, args, timeout
        self.pid = 0
        self.read_fd = -1
        if fork and hasattr(os, "fork") and (os.cpu_count() or 1) > 1:
            self._start()

    def _start(self) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            status = 1
            try:
                os.close(read_fd)
                data = pickle.dumps(self.function(*self.args), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_fd, "wb") as out:
                    out.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write_fd)
        self.pid, self.read_fd = pid, read_fd

    def result(self):
        """The function's result; computed here if the child could not be started or failed."""
        if not self.pid:
            return self.function(*self.args)
        # A child forked from a process with other threads could, in theory, hang on a lock one
        # of them held: after `timeout` seconds without a word it is stopped and the work done here.
        ready, _w, _x = select.select([self.read_fd], [], [], self.timeout)
        if not ready:
            self.close()
            return self.function(*self.args)
        with os.fdopen(self.read_fd, "rb") as source:
            data = source.read()
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if status != 0 or not data:
            return self.function(*self.args)
        # Our own child's bytes, written a moment ago: nothing outside this process can reach
        # the pipe.
        return pickle.loads(data)  # noqa: S301

    def close(self) -> None:
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.close(self.read_fd)
            os.waitpid(self.pid, 0)
            self.pid = 0

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
