"""Import URIs → filesystems: request validation (no network), option mapping, and listing + reading +
importing through each real emulator (moto S3, fake-gcs-server, Azurite)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from spruce.config import Integration, Settings
from spruce.errors import ImportFailure, InvalidArgument
from spruce.imports.layout import discover
from spruce.imports.schema import read_footers
from spruce.storage import open_source, validate_import_request
from spruce.storage.sources import azure_options, gcs_options, s3_options
from tests.emulators import AZURITE_ACCOUNT, AZURITE_KEY, Emulator
from tests.imports.conftest import ENGINE_MISSING, open_stack
from tests.imports.parquet_data import dense_table, parquet_bytes

INTEGRATIONS = {
    "s3-int": Integration("s3-int", "s3", {"access_key_id": "k", "secret_access_key": "s"}),
    "gcs-int": Integration("gcs-int", "gcs", {"anonymous": True}),
}


@pytest.fixture
def cfg(settings: Settings) -> Settings:
    return Settings(
        data_dir=settings.data_dir, import_allowed_dirs=settings.import_allowed_dirs, integrations=INTEGRATIONS
    )


@pytest.mark.parametrize(
    ("uri", "integration", "message"),
    [
        ("", None, "uri must be a non-empty string"),
        ("s3://bucket/" + "x" * 1500, None, "uri must be at most 1500 characters"),
        ("ftp://bucket/x/", None, 'Unsupported import uri "ftp://bucket/x/"'),
        ("bucket/x/", None, "Unsupported import uri"),
        ("https://example.com/c/x/", None, "Unsupported import uri"),  # the endpoint never comes from the uri
        ("https://acct.blob.core.windows.net/", None, "the container name is missing"),
        ("s3:///x/", None, "the bucket name is missing"),
        ("s3://bucket/a/../b/", None, 'must not contain empty, "." or ".." segments'),
        ("s3://bucket/x/", "nope", 'Storage integration "nope" not found'),
        ("gs://bucket/x/", "s3-int", 'Storage integration "s3-int" is for s3, but the uri points to gcs'),
        ("s3://bucket/x/?versionId=1", None, "query strings and fragments are not allowed"),
    ],
)
def test_invalid_requests(cfg: Settings, uri: str, integration: str | None, message: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        validate_import_request(uri, integration, cfg)
    assert message in err.value.message


def test_local_paths_restricted_to_allowed_dirs(cfg: Settings, source_dir: Path, tmp_path: Path) -> None:
    inside = source_dir / "batch1"
    assert validate_import_request(inside.as_uri() + "/", None, cfg).prefix == str(inside)
    for outside in (tmp_path.as_uri() + "/", f"{source_dir.as_uri()}/../", "file:///etc/"):
        with pytest.raises(InvalidArgument, match="outside the directories"):
            validate_import_request(outside, None, cfg)
    link = source_dir / "sneaky"
    link.symlink_to(tmp_path)
    with pytest.raises(InvalidArgument, match="outside the directories"):
        validate_import_request(link.as_uri() + "/", None, cfg)
    with pytest.raises(InvalidArgument, match="is for s3"):
        validate_import_request(inside.as_uri() + "/", "s3-int", cfg)


def test_validation_is_fast(cfg: Settings) -> None:
    started = time.perf_counter()
    for uri in ("s3://bucket/x/", "gs://bucket/x/", "https://acct.blob.core.windows.net/cont/x/"):
        validate_import_request(uri, None, cfg)
    assert time.perf_counter() - started < 0.05


def test_s3_options_from_env_and_integration() -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "a",
        "AWS_SECRET_ACCESS_KEY": "b",
        "AWS_SESSION_TOKEN": "t",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
    }
    got = s3_options({}, env, from_integration=False)
    assert (got["access_key"], got["secret_key"], got["session_token"]) == ("a", "b", "t")
    assert (got["endpoint_override"], got["scheme"], got["region"]) == ("127.0.0.1:9000", "http", "us-east-1")
    env["AWS_ENDPOINT_URL_S3"] = "https://s3.example.net"  # the S3-specific variable wins
    assert s3_options({}, env, from_integration=False)["endpoint_override"] == "s3.example.net"
    integration = s3_options(
        {"access_key_id": "k", "secret_access_key": "s", "region": "eu-west-1"}, env, from_integration=True
    )
    assert (integration["access_key"], integration["region"]) == ("k", "eu-west-1")
    assert "session_token" not in integration  # credentials are never mixed between integration and env


def test_gcs_options() -> None:
    got = gcs_options({}, {"STORAGE_EMULATOR_HOST": "http://127.0.0.1:4443"})
    assert (got["endpoint_override"], got["scheme"], got["anonymous"]) == ("127.0.0.1:4443", "http", True)
    assert "endpoint_override" not in gcs_options({}, {})
    with pytest.raises(ImportFailure, match="credentials_file"):
        gcs_options({"credentials_file": "/x.json"}, {})


def test_azure_options() -> None:
    conn = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:10000/{AZURITE_ACCOUNT};"
    )
    got = azure_options(AZURITE_ACCOUNT, {}, {"AZURE_STORAGE_CONNECTION_STRING": conn})
    assert got["account_key"] == AZURITE_KEY  # the "==" padding survives connection-string parsing
    assert got["blob_storage_authority"] == got["dfs_storage_authority"] == "127.0.0.1:10000"
    assert got["blob_storage_scheme"] == got["dfs_storage_scheme"] == "http"
    dev = azure_options(AZURITE_ACCOUNT, {}, {"AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"})
    assert dev["blob_storage_authority"] == "127.0.0.1:10000"
    real = azure_options("acct", {}, {"AZURE_STORAGE_ACCOUNT_NAME": "acct", "AZURE_STORAGE_ACCOUNT_KEY": "k"})
    assert real == {"account_name": "acct", "account_key": "k"}
    with pytest.raises(ImportFailure, match='configured credentials are for "other"'):
        azure_options("acct", {}, {"AZURE_STORAGE_ACCOUNT_NAME": "other", "AZURE_STORAGE_ACCOUNT_KEY": "k"})


# -- through the real emulators ---------------------------------------------------------------------------------

_bucket_numbers = itertools.count()


def _prepare(emulator: Emulator) -> tuple[str, str]:
    """A fresh bucket with two namespaces and a stray file; returns (import uri, bucket)."""
    bucket = f"spruce-{emulator.name}-{next(_bucket_numbers)}"
    emulator.filesystem.create_dir(bucket)
    emulator.upload(f"{bucket}/run/alpha/0.parquet", parquet_bytes(dense_table(40), row_group_size=16))
    emulator.upload(f"{bucket}/run/alpha/1.parquet", parquet_bytes(dense_table(10, start=40)))
    emulator.upload(f"{bucket}/run/__default__/part.parquet", parquet_bytes(dense_table(7, prefix="d")))
    emulator.upload(f"{bucket}/run/alpha/_SUCCESS", b"")
    if emulator.name == "azure":
        return f"https://{AZURITE_ACCOUNT}.blob.core.windows.net/{bucket}/run/", bucket
    scheme = "s3" if emulator.name == "s3" else "gs"
    return f"{scheme}://{bucket}/run/", bucket


@pytest.fixture(params=["s3_emulator", "gcs_emulator", "azure_emulator"])
def emulator(request: pytest.FixtureRequest) -> Emulator:
    return request.getfixturevalue(request.param)


def test_list_and_read_footers(emulator: Emulator, settings: Settings) -> None:
    uri, _ = _prepare(emulator)
    source = open_source(uri, None, settings, emulator.env)
    layout = discover(source)
    assert [(n.namespace, len(n.paths)) for n in layout] == [("", 1), ("alpha", 2)]
    footers = read_footers(source.filesystem, [p for n in layout for p in n.paths], "dense")
    assert [f.num_rows for f in footers] == [7, 40, 10]
    assert footers[1].row_group_rows == (16, 16, 8)


def test_missing_bucket_fails_clearly(emulator: Emulator, settings: Settings) -> None:
    if emulator.name == "azure":
        uri = f"https://{AZURITE_ACCOUNT}.blob.core.windows.net/no-such-container/x/"
    else:
        uri = f"{'s3' if emulator.name == 's3' else 'gs'}://no-such-bucket-here/x/"
    with pytest.raises(ImportFailure) as err:
        discover(open_source(uri, None, settings, emulator.env))
    assert err.value.message.startswith(("Could not list", "No Parquet files found"))


@pytest.mark.skipif(bool(ENGINE_MISSING), reason=ENGINE_MISSING or "engine present")
def test_import_from_emulator(emulator: Emulator, settings: Settings) -> None:
    uri, _ = _prepare(emulator)
    stack = open_stack(settings, env=emulator.env, yield_seconds=0.0)
    try:
        stack.create_index()
        job = stack.run(uri)
        assert job.status == "Completed", job.error
        assert job.records_imported == 57
        assert stack.namespaces() == {"alpha": 50, "": 7}
    finally:
        stack.close()
