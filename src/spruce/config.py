"""Server settings: command-line flags over ``SPRUCE_*`` environment variables over defaults.

Every setting works with no configuration at all: an embedded catalog and a local data dir.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from spruce.errors import InvalidArgument

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5080


@dataclass(frozen=True, slots=True)
class Integration:
    """A named credential set for one storage provider, chosen by ``integrationId`` in an import request.

    ``provider`` is ``s3``, ``gcs`` or ``azure``; ``options`` are the provider's settings
    (e.g. ``access_key_id``, ``secret_access_key``, ``region``, ``endpoint_url`` for S3;
    ``connection_string`` or ``account_name``/``account_key`` for Azure; ``endpoint_url``,
    ``credentials_file`` or ``anonymous`` for GCS).
    """

    id: str
    provider: str
    options: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = Path("spruce-data")
    api_keys: frozenset[str] = frozenset()
    allow_insecure: bool = False
    import_workers: int = 2
    import_max_rows_per_second: int = 0  # per running import; 0 = unlimited
    import_allowed_dirs: tuple[Path, ...] = ()
    integrations: dict[str, Integration] = field(default_factory=dict)
    log_level: str = "info"

    @property
    def public_url(self) -> str:
        """Base URL index hosts point at. A wildcard bind address is not reachable, so clients get loopback."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return os.environ.get("SPRUCE_PUBLIC_URL", f"http://{host}:{self.port}").rstrip("/")

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite"

    @property
    def index_root(self) -> Path:
        return self.data_dir / "indexes"

    @property
    def allowed_import_dirs(self) -> tuple[Path, ...]:
        """Local directories ``file://`` imports may read: configured ones, else the data dir's ``imports/``."""
        dirs = self.import_allowed_dirs or (self.data_dir / "imports",)
        return tuple(d.resolve() for d in dirs)


def _read_api_keys(env: dict[str, str]) -> frozenset[str]:
    keys = {k.strip() for k in env.get("SPRUCE_API_KEYS", "").split(",") if k.strip()}
    key_file = env.get("SPRUCE_API_KEYS_FILE")
    if key_file:
        lines = Path(key_file).read_text().splitlines()
        keys |= {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    return frozenset(keys)


def parse_integrations(document: bytes | str) -> dict[str, Integration]:
    """``{"<id>": {"provider": "s3", ...options}}`` → integrations by id."""
    try:
        raw = msgspec.json.decode(document)
    except msgspec.DecodeError as exc:
        raise InvalidArgument(f"storage integrations are not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidArgument("storage integrations must be a JSON object keyed by integration id")
    integrations: dict[str, Integration] = {}
    for key, spec in raw.items():
        if not isinstance(spec, dict) or spec.get("provider") not in ("s3", "gcs", "azure"):
            raise InvalidArgument(f'storage integration "{key}" needs "provider": one of s3, gcs, azure')
        options = {k: v for k, v in spec.items() if k != "provider"}
        integrations[key] = Integration(id=key, provider=spec["provider"], options=options)
    return integrations


def _read_integrations(env: dict[str, str]) -> dict[str, Integration]:
    integrations: dict[str, Integration] = {}
    path = env.get("SPRUCE_INTEGRATIONS_FILE")
    if path:
        integrations.update(parse_integrations(Path(path).read_bytes()))
    inline = env.get("SPRUCE_INTEGRATIONS")
    if inline:
        integrations.update(parse_integrations(inline))
    return integrations


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, with explicit (command-line) values winning when not None."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {
        "host": env.get("SPRUCE_BIND", DEFAULT_HOST),
        "port": int(env.get("SPRUCE_PORT", DEFAULT_PORT)),
        "data_dir": Path(env.get("SPRUCE_DATA_DIR", "spruce-data")),
        "api_keys": _read_api_keys(env),
        "allow_insecure": env.get("SPRUCE_ALLOW_INSECURE", "").lower() in ("1", "true", "yes"),
        "import_workers": int(env.get("SPRUCE_IMPORT_WORKERS", 2)),
        "import_max_rows_per_second": int(env.get("SPRUCE_IMPORT_MAX_ROWS_PER_SECOND", 0)),
        "import_allowed_dirs": tuple(
            Path(p) for p in env.get("SPRUCE_IMPORT_ALLOWED_DIRS", "").split(os.pathsep) if p
        ),
        "integrations": _read_integrations(env),
        "log_level": env.get("SPRUCE_LOG_LEVEL", "info"),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["data_dir"] = Path(values["data_dir"]).resolve()
    return Settings(**values)
