"""The web console at `/`, used the way an operator uses it, in Debian's headless Chromium."""

from __future__ import annotations

import http.client
import re
import time
from datetime import datetime
from pathlib import Path

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.console.conftest import differs, rows, screenshot, text_of, wait_for

MAC = "52:54:00:c0:ff:ee"
EARLIER = "52:54:00:00:00:01"  # booted before the page is opened
GROUPS = """
[[group]]
name = "workers"
target = "worker.ipxe"
selector = { buildarch = "x86_64" }
"""
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


def enter_token(driver, token: str) -> None:  # type: ignore[no-untyped-def]
    field = driver.find_element(By.ID, "token")
    field.clear()
    field.send_keys(token)
    driver.find_element(By.ID, "token-use").click()


def explain(driver, mac: str, arch: str) -> str:  # type: ignore[no-untyped-def]
    """Ask the page what MAC would get; returns the rule line it shows."""
    field = driver.find_element(By.ID, "explain-client")
    field.clear()
    field.send_keys(mac)
    Select(driver.find_element(By.ID, "explain-arch")).select_by_visible_text(arch)
    driver.find_element(By.CSS_SELECTOR, "#explain-form button").click()  # hides the old answer at once
    wait_for(
        driver,
        lambda: driver.find_element(By.ID, "explain-result").is_displayed(),
        f"an explanation for {mac}",
    )
    return text_of(driver, "explain-rule")


def test_an_operator_watches_boots_explains_and_assigns(serve, make_root, request, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = serve(make_root(GROUPS))
    browser = request.getfixturevalue("browser")  # Chromium starts while the server does
    server.wait_ready()
    server.boot(EARLIER)

    # without the token: the page holds no data, and every data path of the API refuses
    page = requests.get(f"{server.url}/", headers=server.auth, timeout=10)
    assert page.status_code == 200 and EARLIER not in page.text and "ipxescript serve" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["X-Frame-Options"] == "DENY"
    for path in ("clients", "log", "events", "assignments", "server", f"explain?client={EARLIER}"):
        reply = requests.get(f"{server.url}/api/{path}", timeout=10)
        assert reply.status_code == 401 and EARLIER not in reply.text, (path, reply.text)
    browser.get(f"{server.url}/")
    wait_for(browser, lambda: "Enter the API token" in text_of(browser, "state"), "a request for the token")
    assert EARLIER not in browser.find_element(By.TAG_NAME, "body").text
    screenshot(browser, tmp_path / "1-no-token.png")

    enter_token(browser, "not-the-token-at-all")
    wait_for(browser, lambda: "refused this token" in text_of(browser, "state"), "a refused token")
    assert EARLIER not in browser.find_element(By.TAG_NAME, "body").text

    # with the token: the earlier boot, the server's facts, the groups
    enter_token(browser, server.token)
    wait_for(browser, lambda: any(EARLIER in r[1] for r in rows(browser, "boots")), "the earlier boot")
    assert browser.execute_script("return sessionStorage.getItem('ipxescript-api-token')") == server.token
    assert text_of(browser, "server-root") == str(server.root)
    assert rows(browser, "groups") == [["workers", "buildarch = x86_64", "worker.ipxe"]]
    wait_for(browser, lambda: text_of(browser, "boots-mode") == "live", "the live stream")

    # a machine boots while the page is open: its row appears by itself, dated
    boots = browser.find_element(By.ID, "boots-section")
    before = screenshot(browser, tmp_path / "2-before-boot.png")
    booted_at = time.time()
    assert "default for" in server.boot(MAC)
    wait_for(browser, lambda: any(MAC in r[1] for r in rows(browser, "boots")), "the new boot, live")
    first = rows(browser, "boots")[0]
    assert first[1:6] == [MAC, "127.0.0.1", "script", "served", "boot.ipxe -> boot.ipxe"], first
    stamp = browser.find_element(By.CSS_SELECTOR, "#boots tbody tr time").get_attribute("datetime")
    assert stamp is not None and ISO.match(stamp), stamp
    assert abs(datetime.fromisoformat(stamp).timestamp() - booted_at) < 5
    assert first[0].startswith(stamp[:10] + " " + stamp[11:19]) and "just now" in first[0], first[0]
    after = screenshot(browser, tmp_path / "3-after-boot.png")
    assert differs(before.region(boots), after.region(boots)) > 0.005
    facts = browser.find_element(By.ID, "server-section")
    assert differs(before.region(facts), after.region(facts)) == 0  # what did not change looks the same

    # what it would get and why: the group by its selector; the default on another arch
    wait_for(browser, lambda: any(MAC in r[0] for r in rows(browser, "clients")), "the client")
    browser.find_element(By.CSS_SELECTOR, "#clients tbody tr button.explain").click()
    wait_for(browser, lambda: browser.find_element(By.ID, "explain-result").is_displayed(), "an explanation")
    assert text_of(browser, "explain-rule") == "group workers, matched by buildarch = x86_64"
    assert text_of(browser, "explain-target") == "worker.ipxe"
    assert f"echo worker {MAC} in workers" in text_of(browser, "explain-script")
    assert explain(browser, MAC, "bios").startswith("the default target")

    # create a once assignment from the page: shown, explained, not consumed by looking
    browser.find_element(By.ID, "assign-client").send_keys(MAC.replace(":", "-"))
    browser.find_element(By.ID, "assign-target").send_keys("install.ipxe")
    browser.find_element(By.ID, "assign-once").click()
    browser.find_element(By.CSS_SELECTOR, "#assign-form button").click()
    wait_for(browser, lambda: rows(browser, "assignments"), "the new assignment")
    made = rows(browser, "assignments")[0]
    assert made[:3] == [MAC, "once", "install.ipxe"] and "just now" in made[3], made
    for _ in range(2):
        assert explain(browser, MAC, "efi64").startswith(f"once assignment for {MAC}: the next boot takes it")
        assert text_of(browser, "explain-target") == "install.ipxe"
    listed = requests.get(f"{server.url}/api/assignments", headers=server.auth, timeout=10).json()
    assert [(a["client"], a["kind"]) for a in listed] == [(MAC, "once")]
    screenshot(browser, tmp_path / "4-assigned.png")

    # a mistake is explained, not hidden
    browser.find_element(By.ID, "assign-client").send_keys("10.0.0.9")
    browser.find_element(By.ID, "assign-target").send_keys("missing.ipxe")
    browser.find_element(By.CSS_SELECTOR, "#assign-form button").click()
    wait_for(browser, lambda: "is not a file under ROOT" in text_of(browser, "assign-error"), "the error")

    # delete it from the page
    browser.find_element(By.CSS_SELECTOR, "#assignments button.delete").click()
    wait_for(browser, lambda: rows(browser, "assignments") == [], "the assignment gone")
    assert requests.get(f"{server.url}/api/assignments", headers=server.auth, timeout=10).json() == []

    # forget the token: the data goes, and the page's own requests are refused
    browser.find_element(By.ID, "token-forget").click()
    wait_for(browser, lambda: "Enter the API token" in text_of(browser, "state"), "the token forgotten")
    assert MAC not in browser.find_element(By.TAG_NAME, "body").text
    status = browser.execute_async_script(
        "const done = arguments[0]; fetch('/api/clients').then((r) => done(r.status));"
    )
    assert status == 401


HOSTILE_NAME = "<img src=x onerror=window.pwned=1>.ipxe"
HOSTILE_GROUPS = """
[[group]]
name = "<b>bold</b><script>window.pwned=2</script>"
target = "boot.ipxe"
selector = { serial = "<img src=y onerror=window.pwned=3>" }
"""


def test_every_value_is_shown_as_text(serve, make_root, request, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = make_root(HOSTILE_GROUPS)
    (root / HOSTILE_NAME).write_text("#!ipxe\necho <script>window.pwned=4</script> {{ mac }}\n")
    server = serve(root)
    browser = request.getfixturevalue("browser")
    server.wait_ready()
    made = requests.post(
        f"{server.url}/api/assignments",
        json={"client": MAC, "target": HOSTILE_NAME},
        headers=server.auth,
        timeout=10,
    )
    assert made.status_code == 201, made.text
    # a stranger's request whose path is markup: refused, and logged with that path
    stranger = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=10)
    stranger.request("GET", "/.<img/src=z/onerror=window.pwned=5>")
    assert stranger.getresponse().status == 403
    stranger.close()
    server.boot(MAC)

    browser.get(f"{server.url}/")
    wait_for(browser, lambda: "Enter the API token" in text_of(browser, "state"), "a request for the token")
    enter_token(browser, server.token)
    wait_for(browser, lambda: any(r[3] == "refused" for r in rows(browser, "boots")), "the refusal")
    refusal = next(r for r in rows(browser, "boots") if r[3] == "refused")
    assert refusal[5] == "/.<img/src=z/onerror=window.pwned=5>" and "'.<img'" in refusal[6], refusal
    wait_for(browser, lambda: rows(browser, "assignments"), "the assignment")
    assert rows(browser, "assignments")[0][2] == HOSTILE_NAME
    assert rows(browser, "groups")[0][:2] == [
        "<b>bold</b><script>window.pwned=2</script>",
        "serial = <img src=y onerror=window.pwned=3>",
    ]
    boots = rows(browser, "boots")
    assert any(r[5] == f"boot.ipxe -> {HOSTILE_NAME}" for r in boots), boots
    explain(browser, MAC, "efi64")
    assert f"echo <script>window.pwned=4</script> {MAC}" in text_of(browser, "explain-script")
    # nothing became markup: no element the values spell, no script ran
    injected = browser.execute_script(
        "return document.querySelectorAll('main img, main script, main b, header img').length"
    )
    assert injected == 0
    assert browser.execute_script("return window.pwned === undefined") is True
    screenshot(browser, tmp_path / "hostile.png")


def test_the_page_polls_when_the_event_stream_is_refused(serve, make_root, request) -> None:  # type: ignore[no-untyped-def]
    server = serve(make_root())
    browser = request.getfixturevalue("browser")
    server.wait_ready()
    held: list[requests.Response] = []
    try:
        while True:  # take every event stream the server allows: the page's own is refused (503)
            reply = requests.get(f"{server.url}/api/events", headers=server.auth, stream=True, timeout=10)
            held.append(reply)
            if reply.status_code != 200:
                break
            assert len(held) <= 64, "event streams are not limited"
        assert reply.status_code == 503 and "poll /api/log" in reply.json()["error"]
        browser.get(f"{server.url}/")
        enter_token(browser, server.token)
        wait_for(browser, lambda: text_of(browser, "boots-mode").startswith("polling"), "polling")
        server.boot(MAC)
        wait_for(browser, lambda: any(MAC in r[1] for r in rows(browser, "boots")), "the boot, by polling")
    finally:
        for reply in held:
            reply.close()
