"""Import URIs → (pyarrow filesystem, base path): the one place that knows about clouds and credentials.

Supported URIs:
    s3://BUCKET/PREFIX/
    gs://BUCKET/PREFIX/
    https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX/
    file:///ABSOLUTE/PATH/          (only inside ``Settings.allowed_import_dirs``)

Endpoints and credentials come from server configuration only — a storage integration named by the request,
else the standard environment variables — never from the request URI, so an import cannot be pointed at an
arbitrary host. pyarrow ignores ``AWS_ENDPOINT_URL*`` and knows nothing of Azure connection strings or
``STORAGE_EMULATOR_HOST``; we translate them into explicit filesystem options here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import pyarrow.fs as pafs

from spruce.config import Integration, Settings
from spruce.errors import ImportFailure, InvalidArgument

Provider = Literal["s3", "gcs", "azure", "local"]

MAX_URI_LENGTH = 1500

# Azurite's published development account (also what ``UseDevelopmentStorage=true`` means).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZURE_DEFAULT_SUFFIX = "core.windows.net"

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$")
_AZURE_HOST_RE = re.compile(r"^([a-z0-9]{3,24})\.blob\.(.+)$")
_SCHEME_PROVIDER: dict[str, Provider] = {"s3": "s3", "gs": "gcs", "https": "azure", "file": "local"}


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A parsed, validated import URI. ``prefix`` has no leading or trailing slash."""

    provider: Provider
    uri: str
    bucket: str  # S3/GCS bucket, Azure container; "" for local paths
    prefix: str  # key prefix inside the bucket, or the resolved absolute directory for local paths
    account: str | None = None  # Azure storage account

    @property
    def path(self) -> str:
        """The prefix as a pyarrow filesystem path (``bucket/prefix`` or ``/abs/dir``)."""
        if self.provider == "local":
            return self.prefix
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket


@dataclass(frozen=True, slots=True)
class Source:
    """Where an import reads from: a configured filesystem and the directory inside it."""

    filesystem: pafs.FileSystem
    base_path: str
    location: SourceLocation


# -- parsing and request validation (no network) ---------------------------------------------------------


def _cloud_prefix(raw_path: str, uri: str) -> str:
    segments = raw_path.split("/")
    # A trailing slash is the normal way to write a prefix; other empty segments ("a//b") and dot segments are
    # refused because object stores treat them literally while humans read them as paths.
    if segments and segments[-1] == "":
        segments.pop()
    if any(s in ("", ".", "..") for s in segments):
        raise InvalidArgument(f'Invalid import uri "{uri}": the path must not contain empty, "." or ".." segments')
    return "/".join(unquote(s) for s in segments)


def parse_import_uri(uri: str, settings: Settings, env: Mapping[str, str] | None = None) -> SourceLocation:
    """Checks an import URI's shape and returns where it points. Raises InvalidArgument."""
    if not isinstance(uri, str) or not uri:
        raise InvalidArgument("uri must be a non-empty string")
    if len(uri) > MAX_URI_LENGTH:
        raise InvalidArgument(f"uri must be at most {MAX_URI_LENGTH} characters, got {len(uri)}")
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    provider = _SCHEME_PROVIDER.get(scheme)
    if provider is None:
        raise InvalidArgument(
            f'Unsupported import uri "{uri}": expected s3://BUCKET/PREFIX/, gs://BUCKET/PREFIX/, '
            "https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX/ or file:///PATH/"
        )
    if parts.query or parts.fragment:
        raise InvalidArgument(f'Invalid import uri "{uri}": query strings and fragments are not allowed')

    if provider == "local":
        return _parse_local(uri, parts.netloc, parts.path, settings)

    if provider == "azure":
        match = _AZURE_HOST_RE.match(parts.netloc.lower())
        suffix = _azure_endpoint_suffix(env)
        if match is None or match.group(2) != suffix or parts.port is not None:
            raise InvalidArgument(
                f'Unsupported import uri "{uri}": Azure URIs look like https://ACCOUNT.blob.{suffix}/CONTAINER/PREFIX/'
            )
        account = match.group(1)
        container, _, rest = parts.path.lstrip("/").partition("/")
        if not container:
            raise InvalidArgument(f'Invalid import uri "{uri}": the container name is missing')
        _check_bucket(container, uri, "container")
        return SourceLocation("azure", uri, container, _cloud_prefix(rest, uri), account)

    bucket = parts.netloc
    if not bucket:
        raise InvalidArgument(f'Invalid import uri "{uri}": the bucket name is missing')
    _check_bucket(bucket, uri, "bucket")
    return SourceLocation(provider, uri, bucket, _cloud_prefix(parts.path.lstrip("/"), uri))


def _check_bucket(name: str, uri: str, what: str) -> None:
    if not _BUCKET_RE.match(name):
        raise InvalidArgument(f'Invalid import uri "{uri}": "{name}" is not a valid {what} name')


def _parse_local(uri: str, netloc: str, raw_path: str, settings: Settings) -> SourceLocation:
    if netloc not in ("", "localhost"):
        raise InvalidArgument(f'Invalid import uri "{uri}": file URIs must be file:///ABSOLUTE/PATH/')
    path = unquote(raw_path)
    if not path.startswith("/"):
        raise InvalidArgument(f'Invalid import uri "{uri}": file URIs need an absolute path')
    # resolve() follows symlinks and "..": a link inside an allowed dir cannot smuggle in another directory.
    resolved = Path(path).resolve()
    allowed = settings.allowed_import_dirs
    if not any(resolved == d or resolved.is_relative_to(d) for d in allowed):
        raise InvalidArgument(
            f'Import uri "{uri}" is outside the directories this server may import from '
            f"({', '.join(str(d) for d in allowed)})"
        )
    return SourceLocation("local", uri, "", str(resolved))


def _integration(integration_id: str | None, provider: Provider, settings: Settings) -> Integration | None:
    if integration_id is None or integration_id == "":
        return None
    integration = settings.integrations.get(integration_id)
    if integration is None:
        raise InvalidArgument(f'Storage integration "{integration_id}" not found')
    if integration.provider != provider:
        raise InvalidArgument(
            f'Storage integration "{integration_id}" is for {integration.provider}, '
            f"but the uri points to {provider if provider != 'local' else 'a local directory'}"
        )
    return integration


def validate_import_request(
    uri: str, integration_id: str | None, settings: Settings, env: Mapping[str, str] | None = None
) -> SourceLocation:
    """The checks ``POST /bulk/imports`` makes before storing a job. Fast: never touches the network.

    Raises InvalidArgument (HTTP 400) for an empty or over-long uri, an unsupported scheme, an unknown
    integration, an integration whose provider does not match the uri, or a local path outside the allowed
    directories.
    """
    location = parse_import_uri(uri, settings, env)
    _integration(integration_id, location.provider, settings)
    return location


# -- filesystems ----------------------------------------------------------------------------------------


def open_source(
    uri: str, integration_id: str | None, settings: Settings, env: Mapping[str, str] | None = None
) -> Source:
    """Validates the request again (config may have changed since POST) and builds the filesystem for it.

    Building a filesystem does not list anything; network errors surface on first use.
    """
    env = os.environ if env is None else env
    location = parse_import_uri(uri, settings, env)
    integration = _integration(integration_id, location.provider, settings)
    options = dict(integration.options) if integration else {}
    filesystem: pafs.FileSystem
    if location.provider == "local":
        filesystem = pafs.LocalFileSystem()
    elif location.provider == "s3":
        filesystem = pafs.S3FileSystem(**s3_options(options, env, from_integration=integration is not None))
    elif location.provider == "gcs":
        filesystem = pafs.GcsFileSystem(**gcs_options(options, env))
    else:
        assert location.account is not None
        kwargs = azure_options(location.account, options, env, from_integration=integration is not None)
        filesystem = pafs.AzureFileSystem(**kwargs)
    return Source(filesystem, location.path, location)


def _split_endpoint(url: str, default_scheme: str = "https") -> tuple[str, str]:
    """``http://host:port/path`` → (``host:port``, ``http``); a bare ``host:port`` keeps the default."""
    if "://" not in url:
        return url.strip("/"), default_scheme
    parts = urlsplit(url)
    return parts.netloc, parts.scheme.lower()


def s3_options(options: Mapping[str, Any], env: Mapping[str, str], *, from_integration: bool) -> dict[str, Any]:
    """S3FileSystem kwargs. An integration's credentials replace the environment's; endpoint and region fall
    back to the environment when the integration does not set them (an S3-compatible deployment usually
    configures its endpoint once for the whole server)."""
    if from_integration:
        key_id, secret = options.get("access_key_id"), options.get("secret_access_key")
        token = options.get("session_token")
    else:
        key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        token = env.get("AWS_SESSION_TOKEN")
    endpoint = options.get("endpoint_url") or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    region = options.get("region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    kwargs: dict[str, Any] = {
        "connect_timeout": 5.0,
        "request_timeout": 30.0,
        "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=3),
    }
    if key_id and secret:
        kwargs.update(access_key=key_id, secret_key=secret)
        if token:
            kwargs["session_token"] = token
    elif options.get("role_arn"):
        kwargs["role_arn"] = options["role_arn"]
        if options.get("external_id"):
            kwargs["external_id"] = options["external_id"]
    elif _truthy(options.get("anonymous")):
        kwargs["anonymous"] = True
    if endpoint:
        authority, scheme = _split_endpoint(endpoint)
        kwargs.update(endpoint_override=authority, scheme=scheme)
        # S3-compatible servers rarely care about the region, but the SDK would otherwise ask EC2 metadata.
        region = region or "us-east-1"
    if region:
        kwargs["region"] = region
    return kwargs


def gcs_options(options: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """GcsFileSystem kwargs. ``GOOGLE_APPLICATION_CREDENTIALS`` is honoured by pyarrow's default credentials
    itself; ``STORAGE_EMULATOR_HOST`` (what other GCS clients honour) is translated to an endpoint here."""
    # Without a limit the GCS client retries transient errors for 15 minutes; an unreachable endpoint should
    # fail the import in seconds instead.
    kwargs: dict[str, Any] = {"retry_time_limit": timedelta(seconds=20)}
    endpoint = options.get("endpoint_url") or env.get("STORAGE_EMULATOR_HOST")
    if endpoint:
        authority, scheme = _split_endpoint(endpoint, default_scheme="http")
        kwargs.update(endpoint_override=authority, scheme=scheme)
    if options.get("access_token"):
        expires = options.get("token_expiration")
        kwargs["access_token"] = options["access_token"]
        kwargs["credential_token_expiration"] = (
            datetime.fromisoformat(expires) if expires else datetime.now(UTC) + timedelta(hours=1)
        )
    elif _truthy(options.get("anonymous")) or (endpoint and "anonymous" not in options):
        # Emulators accept anything; anonymous avoids a metadata-server probe.
        kwargs["anonymous"] = True
    if options.get("credentials_file"):
        # pyarrow reads a credentials file only through the process-wide GOOGLE_APPLICATION_CREDENTIALS.
        raise ImportFailure(
            "GCS integrations cannot name a credentials_file yet; set GOOGLE_APPLICATION_CREDENTIALS for the "
            "server or give the integration an access_token"
        )
    if options.get("target_service_account"):
        kwargs["target_service_account"] = options["target_service_account"]
    if options.get("project_id"):
        kwargs["project_id"] = options["project_id"]
    return kwargs


def parse_connection_string(text: str) -> dict[str, str]:
    """``Key=Value;Key=Value`` (values may contain ``=``, as base64 keys do)."""
    fields: dict[str, str] = {}
    for part in text.split(";"):
        if "=" in part:
            key, _, value = part.partition("=")
            fields[key.strip()] = value.strip()
    return fields


def _azure_endpoint_suffix(env: Mapping[str, str] | None) -> str:
    env = os.environ if env is None else env
    conn = env.get("AZURE_STORAGE_CONNECTION_STRING")
    if conn:
        return parse_connection_string(conn).get("EndpointSuffix", AZURE_DEFAULT_SUFFIX).lower()
    return AZURE_DEFAULT_SUFFIX


def _azure_settings(options: Mapping[str, Any], env: Mapping[str, str], from_integration: bool) -> dict[str, str]:
    """Connection-string-shaped settings from an integration, else from the environment."""
    if from_integration:
        fields = parse_connection_string(options.get("connection_string", ""))
        for option, key in (
            ("account_name", "AccountName"),
            ("account_key", "AccountKey"),
            ("sas_token", "SharedAccessSignature"),
            ("endpoint_url", "BlobEndpoint"),
            ("blob_endpoint", "BlobEndpoint"),
            ("dfs_endpoint", "DfsEndpoint"),
        ):
            if options.get(option):
                fields[key] = str(options[option])
        for option in ("tenant_id", "client_id", "client_secret"):
            if options.get(option):
                fields[option] = str(options[option])
        return fields
    conn = env.get("AZURE_STORAGE_CONNECTION_STRING")
    if conn:
        return parse_connection_string(conn)
    fields = {}
    if env.get("AZURE_STORAGE_ACCOUNT_NAME"):
        fields["AccountName"] = env["AZURE_STORAGE_ACCOUNT_NAME"]
    if env.get("AZURE_STORAGE_ACCOUNT_KEY"):
        fields["AccountKey"] = env["AZURE_STORAGE_ACCOUNT_KEY"]
    if env.get("AZURE_STORAGE_SAS_TOKEN"):
        fields["SharedAccessSignature"] = env["AZURE_STORAGE_SAS_TOKEN"]
    return fields


def azure_options(
    account: str, options: Mapping[str, Any], env: Mapping[str, str], *, from_integration: bool = False
) -> dict[str, Any]:
    """AzureFileSystem kwargs for the account named in the URI."""
    fields = _azure_settings(options, env, from_integration)
    if fields.get("UseDevelopmentStorage", "").lower() == "true":
        proxy = fields.get("DevelopmentStorageProxyUri", "http://127.0.0.1")
        fields = {"AccountName": AZURITE_ACCOUNT, "AccountKey": AZURITE_KEY, "BlobEndpoint": f"{proxy}:10000"}
    configured = fields.get("AccountName")
    if configured and configured != account:
        # A key belongs to one account: sending it to another would only produce an opaque 403.
        raise ImportFailure(
            f'The import uri names storage account "{account}", but the configured credentials are for "{configured}"'
        )
    kwargs: dict[str, Any] = {"account_name": account}
    if fields.get("AccountKey"):
        kwargs["account_key"] = fields["AccountKey"]
    elif fields.get("SharedAccessSignature"):
        kwargs["sas_token"] = fields["SharedAccessSignature"].lstrip("?")
    for option in ("tenant_id", "client_id", "client_secret"):
        if fields.get(option):
            kwargs[option] = fields[option]

    suffix = fields.get("EndpointSuffix", AZURE_DEFAULT_SUFFIX).lower()
    blob = fields.get("BlobEndpoint")
    if blob:
        authority, scheme = _split_endpoint(blob)
        if "DfsEndpoint" in fields:
            dfs_authority, dfs_scheme = _split_endpoint(fields["DfsEndpoint"])
        elif authority.lower().startswith(f"{account}.blob."):
            dfs_authority, dfs_scheme = authority.replace(".blob.", ".dfs.", 1), scheme
        else:
            dfs_authority, dfs_scheme = authority, scheme  # emulators serve both APIs on one port
        # The dfs pair is required: without it pyarrow probes the public cloud's Data Lake endpoint
        # (about 6 s per call, then fails) even when the blob endpoint is an emulator.
        kwargs.update(
            blob_storage_authority=_strip_account(authority, account),
            blob_storage_scheme=scheme,
            dfs_storage_authority=_strip_account(dfs_authority, account),
            dfs_storage_scheme=dfs_scheme,
        )
    elif suffix != AZURE_DEFAULT_SUFFIX:
        kwargs.update(blob_storage_authority=f".blob.{suffix}", dfs_storage_authority=f".dfs.{suffix}")
    return kwargs


def _strip_account(authority: str, account: str) -> str:
    """pyarrow prepends the account to an authority starting with "." (real Azure: ``.blob.core.windows.net``)
    and puts it in the path otherwise (emulators: ``127.0.0.1:10000/devstoreaccount1``)."""
    if authority.lower().startswith(f"{account}."):
        return authority[len(account) :]
    return authority


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true", "yes"))
