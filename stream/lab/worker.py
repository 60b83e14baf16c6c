"""Start and stop a stream worker process (``faust -A stream.app worker``) for the demo and tests."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

READY_LINES = ("Worker ready", "watchlist loaded")


class WorkerProcess:
    """One ``faust -A <app> worker`` subprocess (default: the kakou stream), logging to
    ``log_path``; started means every line of ``ready_lines`` is in its log."""

    def __init__(self, log_path: Path, *, env: dict[str, str] | None = None,
                 app: str = "stream.app", ready_lines: tuple[str, ...] = READY_LINES) -> None:
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.app = app
        self.ready_lines = ready_lines
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def start(self, timeout_s: float = 120.0) -> None:
        """Start the worker and wait until it has its partitions and the whole watchlist."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        faust = str(Path(sys.executable).with_name("faust"))
        self.proc = subprocess.Popen([faust, "-A", self.app, "worker", "--without-web", "-l", "info"],
                                     stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"stream worker exited with {self.proc.returncode}; "
                                   f"see {self.log_path}:\n{self._log_tail()}")
            text = self._log_since_start()
            if all(line in text for line in self.ready_lines):
                return
            time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"stream worker not ready after {timeout_s:.0f}s; see {self.log_path}:\n"
                           f"{self._log_tail()}")

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def _log_since_start(self) -> str:
        with self.log_path.open("rb") as fh:
            fh.seek(self._log_offset)
            return fh.read().decode("utf-8", "replace")

    def _log_tail(self) -> str:
        return self._log_since_start()[-3000:]
