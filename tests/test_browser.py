"""The review page in a real headless Chromium (Debian's ``chromium`` + ``chromedriver``, via Selenium)
against a real ``jixiao serve`` process: upload a table, read the grade and the row-linked
findings, open an explanation, download the workbook, review a batch.

The fast run serves the fake engine (``api_fakes``); ``-m slow`` serves the shipped engine
(real model, index and classifier, in the test home). Screenshots go to a temporary
folder (``JIXIAO_SCREENSHOTS``, default ``$TMPDIR/jixiao-browser-*``), which CI keeps as
artifacts. The test skips only when no Chromium is installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_process import free_port, running_server

from jixiao.corpus.data_paths import seed_files

TESTS_DIR = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
#: Ports of this test's servers: a fixed range, so parallel sessions on one machine do not collide.
PORTS = range(23100, 23200)
ENGLISH = re.compile(r"[A-Za-z]{2,}")
PAGE_ALLOWED = {"jixiao", "xlsx", "docx", "csv", "txt", "md", "pdf", "zip", "Excel"}

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian chromium and chromium-driver (.ci/run installs them)",
)


def serve(home: Path, fake: bool) -> Iterator[str]:
    env = {
        **os.environ,
        "JIXIAO_HOME": str(home),
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    args = ["--log-level", "warning", *(["--factory", "api_fakes:create_fake_app"] if fake else [])]
    port = free_port(PORTS.start, PORTS.stop)
    with running_server(args, env, port, timeout=60 if fake else 900) as base:
        yield base


@pytest.fixture
def fake_server(tmp_path) -> Iterator[str]:
    yield from serve(tmp_path / "home", fake=True)


@pytest.fixture
def real_server() -> Iterator[str]:
    yield from serve(Path(os.environ["JIXIAO_HOME"]), fake=False)


@pytest.fixture
def shots() -> Path:
    root = os.environ.get("JIXIAO_SCREENSHOTS")
    if root:
        Path(root).mkdir(parents=True, exist_ok=True)
        return Path(root)
    return Path(tempfile.mkdtemp(prefix="jixiao-browser-"))


@pytest.fixture
def browser(tmp_path):  # noqa: ANN201 - a selenium WebDriver
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--lang=zh-CN",
    ):
        opts.add_argument(arg)
    opts.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.downloads = downloads
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(condition, timeout: float = 60.0, what: str = ""):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = condition()
        if got:
            return got
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def visible_english(driver, users: set[str]) -> set[str]:  # noqa: ANN001
    """English words on the page that are neither the product's nor the user's own (an indicator "LED屏")."""
    text = driver.execute_script("return document.body.innerText")
    return set(ENGLISH.findall(text)) - PAGE_ALLOWED - users


def check_review_page(driver, base: str, shots: Path, tag: str, tmp_path: Path) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver.get(base + "/")
    assert (
        driver.find_element(By.CSS_SELECTOR, 'link[rel="icon"]').get_attribute("href").endswith("favicon.svg")
    )
    assert httpx.get(base + "/static/favicon.svg").status_code == 200
    seed = seed_files()[4]
    expected = httpx.post(
        base + "/v1/tables/upload", files={"file": (seed.name, seed.read_bytes())}, timeout=120
    )
    expected = expected.json()
    users = {w for t in expected["tables"] for w in ENGLISH.findall(str(t["table"]))}
    # record the button's disabled state while the request runs
    driver.execute_script(
        "window.__states = []; const b = document.getElementById('review-btn');"
        "new MutationObserver(() => window.__states.push(b.disabled)).observe(b, {attributes: true});"
    )
    driver.find_element(By.ID, "file").send_keys(str(seed))
    driver.find_element(By.ID, "review-btn").click()
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".table-review .grade"), what="the grade")
    assert True in driver.execute_script("return window.__states"), "button was not disabled while running"
    driver.save_screenshot(str(shots / f"{tag}-1-review.png"))
    reviews = driver.find_elements(By.CSS_SELECTOR, ".table-review")
    assert len(reviews) == len(expected["tables"])
    for el, t in zip(reviews, expected["tables"], strict=True):
        assert el.find_element(By.CSS_SELECTOR, ".grade").text == t["grade"]["title"]
        scores = [s.text for s in el.find_elements(By.CSS_SELECTOR, "[data-criterion]")]
        assert [s.split()[0] for s in scores] == ["完整性", "相关性", "适当性", "可行性"]
        rows = el.find_elements(By.CSS_SELECTOR, "tr[data-table-id][data-index]")
        assert len(rows) == len(t["table"]["indicators"])
        by_row: dict[int, list[dict]] = {}
        for f in t["findings"]:
            if f["indicator_index"] is not None:
                by_row.setdefault(f["indicator_index"], []).append(f)
        for row in rows:
            i = int(row.get_attribute("data-index"))
            assert row.get_attribute("data-table-id") == t["table"]["id"]
            items = row.find_elements(By.CSS_SELECTOR, "ul.findings li")
            assert len(items) == len(by_row.get(i, []))
            highlighted = "row-" in (row.get_attribute("class") or "")
            assert highlighted == bool(by_row.get(i)), f"row {i}: highlight without a finding, or the reverse"
            declared = row.find_elements(By.TAG_NAME, "td")[1].text
            assert not re.fullmatch(r"\d+", declared)  # tiers by name, never a bare code
    # the explanation, on demand
    button = driver.find_element(By.CSS_SELECTOR, ".explain-btn")
    target = driver.find_element(By.ID, button.get_attribute("data-target"))
    assert not target.is_displayed()
    button.click()
    assert target.is_displayed() and "模型判断" in target.text
    driver.save_screenshot(str(shots / f"{tag}-2-explanation.png"))
    assert not visible_english(driver, users), visible_english(driver, users)
    # the download
    driver.find_element(By.ID, "xlsx").click()
    got = wait_for(lambda: [p for p in driver.downloads.glob("*.xlsx")], what="the download")
    from openpyxl import load_workbook

    wait_for(lambda: got[0].stat().st_size > 0, what="the download to finish")
    wb = load_workbook(got[0])
    assert wb.sheetnames[0] == "审核结论" and wb.sheetnames[-1] == "审核意见"
    # a batch: two files, a list sorted by grade, a click shows the table
    other = tmp_path / "第二个文件.txt"
    other.write_bytes(seed_files()[3].read_bytes())
    more = httpx.post(
        base + "/v1/tables/upload", files={"file": (other.name, other.read_bytes())}, timeout=120
    )
    users |= {w for t in more.json()["tables"] for w in ENGLISH.findall(str(t["table"]))}
    driver.find_element(By.ID, "file").clear()
    driver.find_element(By.ID, "file").send_keys(f"{seed}\n{other}")
    driver.find_element(By.ID, "review-btn").click()
    wait_for(
        lambda: driver.find_elements(By.CSS_SELECTOR, "#batch-list tr[data-pick]"), what="the batch list"
    )
    picks = driver.find_elements(By.CSS_SELECTOR, "#batch-list tr[data-pick]")
    rank = {"优": 0, "良": 1, "中": 2, "差": 3}
    grades = [rank[p.find_element(By.CSS_SELECTOR, ".grade").text] for p in picks]
    assert grades == sorted(grades) and len(picks) > len(expected["tables"])
    picks[-1].click()
    project = picks[-1].find_elements(By.TAG_NAME, "td")[3].text
    wait_for(lambda: project in driver.find_element(By.ID, "upload-out").text, what="the picked table")
    driver.save_screenshot(str(shots / f"{tag}-3-batch.png"))
    assert not visible_english(driver, users), visible_english(driver, users)


def test_review_page_in_chromium(fake_server, browser, shots, tmp_path):
    check_review_page(browser, fake_server, shots, "fake", tmp_path)


@pytest.mark.slow
def test_review_page_in_chromium_on_the_shipped_engine(real_server, browser, shots, tmp_path):
    check_review_page(browser, real_server, shots, "real", tmp_path)
