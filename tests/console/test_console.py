"""``/console`` in headless Chromium during a running import: the progress bar moves, the page reaches Completed,
and the skipped-record report opens. A screenshot is kept under test-artifacts/."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import api, file_uri, wait_for
from tests.imports.parquet_data import dense_table, rows_table, write
from tests.imports.test_runner import BAD_ROWS, mixed_rows
from tests.server import SpruceServer

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RATE = 6000  # rows/s: the 48k-row import below runs ~8 s; progress is committed every 2 s
ROWS = 48_000

webdriver = pytest.importorskip("selenium.webdriver")
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("chromium + chromium-driver are not installed (scripts/test.sh installs them)", allow_module_level=True)

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    profile = tempfile.mkdtemp(prefix="spruce-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SpruceServer]:
    instance = SpruceServer(tmp_path / "data", env={"SPRUCE_IMPORT_MAX_ROWS_PER_SECOND": str(RATE)}).start()
    try:
        yield instance
    finally:
        instance.stop()


# The page re-renders its tables every poll, so rows are read (and clicked) in one script call: an element
# handle kept across polls would go stale.
_READ_ROW = """
const row = document.querySelector('tr[data-import="console-idx/1"]');
if (!row) return {};
return {status: row.dataset.status, value: String(row.querySelector('progress').value), text: row.innerText};
"""


def import_row(browser: webdriver.Chrome) -> dict[str, str]:
    return browser.execute_script(_READ_ROW)


def test_console_follows_a_running_import(server: SpruceServer, browser: webdriver.Chrome) -> None:
    source = server.data_dir / "imports" / "src"
    for f in range(3):
        write(dense_table(ROWS // 3, start=f * ROWS // 3), source / "big" / f"{f}.parquet", row_group_size=2000)
    write(rows_table(mixed_rows()), source / "mixed" / "0.parquet")
    body = {"name": "console-idx", "dimension": 4, "metric": "cosine",
            "spec": {"serverless": {"cloud": "aws", "region": "us-east-1"}}}
    assert api(server, "POST", "/indexes", json=body, version="2025-10").status_code == 201
    assert api(server, "POST", "/data/console-idx/bulk/imports", json={"uri": file_uri(source)}).json() == {"id": "1"}

    browser.get(f"{server.url}/console")
    assert browser.title == "Spruce console"
    wait_for(lambda: import_row(browser).get("status") == "InProgress" and float(import_row(browser)["value"]) > 0)
    first = float(import_row(browser)["value"])
    wait_for(lambda: float(import_row(browser).get("value", 0)) > first)  # the bar moves without a reload
    moving = import_row(browser)
    assert moving["status"] == "InProgress" and first < float(moving["value"]) < 100
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "console-import-running.png"))
    metrics = api(server, "GET", "/metrics").text  # while it runs, /metrics shows its pace
    rate = next(line for line in metrics.splitlines()
                if line.startswith('spruce_import_rows_per_second{import_id="1",index="console-idx"}'))
    assert 0 < float(rate.split()[-1]) <= RATE * 1.5

    wait_for(lambda: import_row(browser).get("status") == "Completed", timeout=60)
    done = import_row(browser)
    assert float(done["value"]) == 100
    assert f"{ROWS + 20:,}" in done["text"]  # records imported, as the API counts them
    index_row = browser.execute_script('return document.querySelector(\'tr[data-index="console-idx"]\').innerText')
    assert f"big ({ROWS:,})" in index_row and "mixed (20)" in index_row

    # The skipped count opens the report: the first skipped records, with reasons.
    browser.execute_script('document.querySelector(\'tr[data-import="console-idx/1"] button.link\').click()')
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#report tbody tr")) == len(BAD_ROWS))
    report = browser.execute_script('return document.getElementById("report").innerText')
    assert "Vector dimension 3 does not match the dimension of the index 4" in report
    assert f"first {len(BAD_ROWS)} of {len(BAD_ROWS)}" in browser.find_element(By.ID, "report-title").text
    browser.save_screenshot(str(ARTIFACTS / "console-import-done.png"))
    assert browser.find_element(By.ID, "error").text == ""
