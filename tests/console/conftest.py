"""The console as an operator uses it: a real `ipxescript serve` on loopback and Debian's Chromium, headless,
driven through chromedriver (selenium). Screenshots are decoded (Pillow) and checked, and kept in the
test's tmp dir.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageChops, ImageStat
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.serve.test_serve_command import free_port, wait_http

CHROMIUM = "/usr/lib/chromium/chromium"  # Debian's binary (/usr/bin/chromium is a wrapper script)
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,1100",
)  # fmt: skip
WAIT = 10.0  # seconds a page has to show what the test waits for


@dataclass
class Served:
    url: str
    root: Path
    state: Path
    proc: subprocess.Popen[str]

    def wait_ready(self) -> Served:
        wait_http(f"{self.url}/healthz", self.proc)
        return self

    @property
    def token(self) -> str:
        return (self.state / "api-token").read_text().strip()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def boot(self, mac: str, **labels: str) -> str:
        """A real boot request, as iPXE sends it after the identity probe."""
        reply = requests.get(
            f"{self.url}/boot.ipxe", params={"mac": mac.replace(":", "-"), **labels}, timeout=10
        )
        assert reply.status_code == 200, reply.text
        return reply.text


@pytest.fixture
def make_root(tmp_path: Path) -> Callable[[str], Path]:
    def make(config: str = "") -> Path:
        root = tmp_path / "root"
        root.mkdir()
        (root / "boot.ipxe").write_text("#!ipxe\necho default for {{ mac }}\n")
        (root / "install.ipxe").write_text("#!ipxe\necho installing {{ mac }}\n")
        (root / "worker.ipxe").write_text("#!ipxe\necho worker {{ mac }} in {{ group }}\n")
        (root / "ipxescript.toml").write_text(config)
        return root

    return make


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[Path], Served]]:
    started: list[Served] = []

    def start(root: Path) -> Served:
        port, state = free_port(), tmp_path / "state"
        log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [sys.executable, "-m", "ipxescript", "serve", str(root), "--state-dir", str(state),
             "--http-port", str(port), "--tftp-port", "0"],
            stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        log.close()
        served = Served(f"http://127.0.0.1:{port}", root, state, proc)
        started.append(served)
        return served  # starting: Chromium can start meanwhile (wait_ready before use)

    yield start
    for served in started:
        served.proc.terminate()
        served.proc.wait(timeout=20)  # an open event stream must not hold up the stop
        text = (tmp_path / "serve.log").read_text()
        assert "Traceback" not in text, text[-3000:]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """Debian's Chromium, headless, with a fresh profile in the test's tmp dir."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: install Debian's chromium and chromium-driver (.ci/run does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "chromium-profile"
    options.add_argument(f"--user-data-dir={profile}")
    # a driver path given: selenium skips Selenium Manager (which would download a driver and a browser)
    service = Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: webdriver.Chrome, check: Callable[[], object], what: str) -> object:
    """Until `check()` returns something true (the page updates by itself); fails naming `what`."""
    last: list[object] = [None]

    def probe(_: object) -> object:
        last[0] = check()
        return last[0]

    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(probe)
    except Exception as exc:
        shown = driver.find_element(By.TAG_NAME, "body").text[:3000]
        shown += "\n--- browser log ---\n" + "\n".join(str(e) for e in driver.get_log("browser"))
        raise AssertionError(
            f"the page did not show {what} in {WAIT}s ({type(exc).__name__}: {exc}); it shows:\n{shown}"
        ) from exc


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def rows(driver: webdriver.Chrome, table_id: str) -> list[list[str]]:
    """The body rows of a table as the user reads them (each cell's rendered text), in one round trip."""
    return driver.execute_script(  # type: ignore[no-any-return]
        "return [...document.querySelectorAll(arguments[0])].map("
        "(row) => [...row.cells].map((cell) => cell.innerText.trim()))",
        f"#{table_id} tbody tr:not(.empty)",
    )


@dataclass
class Shot:
    image: Image.Image
    path: Path

    def region(self, element: WebElement) -> Image.Image:
        rect = element.rect
        box = (
            int(rect["x"]),
            int(rect["y"]),
            int(rect["x"] + rect["width"]),
            int(rect["y"] + rect["height"]),
        )
        return self.image.crop(box)


def screenshot(driver: webdriver.Chrome, path: Path) -> Shot:
    """A screenshot saved under the test's tmp dir, decoded, and checked to be a real page: the window's
    size, and not blank (many colours, light and dark parts)."""
    png = driver.get_screenshot_as_png()
    path.write_bytes(png)
    image = Image.open(BytesIO(png))
    image.load()  # decodes every pixel: a broken PNG fails here
    assert image.format == "PNG"
    width, height = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    assert image.size == (width, height), (image.size, width, height)
    grey = image.convert("L")
    low, high = grey.getextrema()
    assert high - low > 150, f"{path.name}: no contrast ({low}..{high}): a blank page"
    assert len(image.convert("RGB").getcolors(1 << 20) or []) > 20, f"{path.name}: too few colours"
    assert ImageStat.Stat(grey).stddev[0] > 5, f"{path.name}: nearly uniform"
    return Shot(image, path)


def differs(a: Image.Image, b: Image.Image) -> float:
    """The share of pixels that differ between two equally sized regions."""
    assert a.size == b.size, (a.size, b.size)
    histogram = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L").histogram()
    return sum(histogram[1:]) / (a.size[0] * a.size[1])


def wait_until(check: Callable[[], bool], seconds: float = WAIT) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
