"""Start and stop a Spruce server on 127.0.0.1 for one benchmark run (a child of the worker, so its RSS counts)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SpruceServer:
    def __init__(self, data_dir: Path, allowed_import_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SPRUCE_IMPORT_ALLOWED_DIRS": str(allowed_import_dir)}
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spruce", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(data_dir), "--log-level", "warning"],
            stdout=self._log, stderr=subprocess.STDOUT, env=env,
        )
        self._wait_ready(60.0)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"spruce server exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(self.url + "/indexes", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # it answered (e.g. 401): it is up
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("spruce server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
