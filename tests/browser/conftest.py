"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

- Chromium is the system one (/usr/bin/chromium, installed by `make system-deps`);
  Playwright's own browser download is not used. KPI_CHROMIUM overrides the path.
  Run only these tests with `pytest tests/browser`, skip them with `-m "not browser"`.
- Playwright's sync API keeps an asyncio loop running in the main thread while it is
  started, so Django would refuse the ORM calls of the test body and of pytest-django's
  flush (SynchronousOnlyOperation): DJANGO_ALLOW_ASYNC_UNSAFE is set for that time only.
  Playwright and Chromium live for one test module, so that the loop is gone for the
  rest of the suite (asyncio.run or async_to_sync in a later test would fail under it).
- The live server answers from its own thread, in this process, so `settings`
  overrides (KPI_TODAY, MEDIA_ROOT) apply to it.
- The pages are read in the language people get (zh-Hant, see
  plans.middleware.DefaultLanguageMiddleware). UI texts are looked up with `t()`, through
  the same translation catalogues as the server, so the tests hold before and after the
  zh-Hant catalogue is filled in.
- `live_server` tests are transactional: the database is flushed after each one;
  tests/conftest.py puts the seeded plan back for the tests that follow. A test may end while
  its page still has a request in the server (a preview asked on load, an autosave); with
  ATOMIC_REQUESTS that request holds table locks, and the flush's TRUNCATE can deadlock with
  it. So the browser context closes, then the test waits until the server has closed every
  connection (`ServerConnections`), and only then is the database flushed.
- On failure, a screenshot and the page's HTML go to test-artifacts/ (gitignored);
  the walk also keeps screenshots of its key steps there.
"""

import os
import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = os.environ.get("KPI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


# --- UI texts ---------------------------------------------------------------------------


def t(msgid: str, **values) -> str:
    """A UI text as the server shows it (in settings.LANGUAGE_CODE), with its placeholders filled."""
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(msgid)
    return text % values if values else text


def tn(singular: str, plural: str, count: int, **values) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.ngettext(singular, plural, count)
    return text % {"counter": count, **values}


def starts(text: str) -> re.Pattern:
    """A locator name that starts with `text` (buttons and links carry visually hidden context)."""
    return re.compile("^" + re.escape(text))


# --- Failure artifacts ------------------------------------------------------------------

_reports_key = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_reports_key, {})[report.when] = report
    return report


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^\w.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")[:120]


def save_artifacts(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # the page may be gone; the test's own error says more
        (ARTIFACTS / f"{name}.error.txt").write_text(repr(exc), encoding="utf-8")


# --- Browser fixtures -------------------------------------------------------------------


ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def _playwright():
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as p:
            yield p
    finally:
        if before is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture(scope="module")
def browser(_playwright):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make system-deps` (or set KPI_CHROMIUM), "
            'or leave the browser tests out with -m "not browser".'
        )
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded evidence goes to the test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class ServerConnections:
    """Counts the live server's open connections: accepted, and not yet shut down.

    socketserver calls `process_request` for each accepted connection (in the server's
    thread) and `shutdown_request` once its handling thread is done with it, whatever
    happened; both are wrapped on the server instance."""

    def __init__(self, httpd):
        self._changed = threading.Condition()
        self.open = 0
        process, shutdown = httpd.process_request, httpd.shutdown_request

        def process_request(request, client_address):
            with self._changed:
                self.open += 1
            process(request, client_address)

        def shutdown_request(request):
            try:
                shutdown(request)
            finally:
                with self._changed:
                    self.open -= 1
                    self._changed.notify_all()

        httpd.process_request = process_request
        httpd.shutdown_request = shutdown_request

    def wait_closed(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.open <= 0, timeout=timeout)


@pytest.fixture(scope="session")
def server_connections(live_server):
    return ServerConnections(live_server.thread.httpd)


@pytest.fixture
def settled_server(server_connections):
    """Set up after the test's database (and so torn down before its flush): waits until
    the browser's requests have all been answered and their connections closed."""
    yield
    assert server_connections.wait_closed(timeout=TIMEOUT_MS / 1000), (
        f"the live server still has {server_connections.open} connection(s) open after the browser closed"
    )


@pytest.fixture
def context(browser, live_server, settled_server, media):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale="zh-TW",
        timezone_id="Asia/Taipei",
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context, request):
    name = "failed-" + _safe_name(request.node.nodeid)
    for old in ARTIFACTS.glob(f"{name}.*"):  # from an earlier run
        old.unlink()
    page = context.new_page()
    yield page
    reports = request.node.stash.get(_reports_key, {})
    if any(r.failed for r in reports.values()):
        save_artifacts(page, name)
    page.close()


@pytest.fixture
def snap(page):
    """snap("walk-01-my-updates") keeps a full-page screenshot in test-artifacts/."""

    def snap(name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return snap


# --- Accessibility checks shared by the tests -------------------------------------------------

NAMED_ROLES = "button|link|textbox|searchbox|combobox|listbox|checkbox|radio|spinbutton|slider|switch|img"
UNNAMED = re.compile(rf"^\s*- ({NAMED_ROLES})( \[[^\]]*\])*(:.*)?$", re.M)  # no "name" after the role


def expect_controls_named(page: Page) -> None:
    """Every control, link and image on the page has an accessible name (read from the ARIA snapshot)."""
    snapshot = page.locator("body").aria_snapshot()
    unnamed = [m.group(0).strip() for m in UNNAMED.finditer(snapshot)]
    assert not unnamed, f"{page.url}: without an accessible name: {unnamed}\n{snapshot}"


# --- Signing in and out through the real forms ---------------------------------------------


def sign_in(page: Page, username: str, password: str | None = None) -> None:
    page.goto(reverse("login"))
    page.get_by_label(t("Username")).fill(username)
    page.get_by_label(t("Password")).fill(password or f"pw-{username}")
    page.get_by_role("button", name=t("Sign in"), exact=True).click()
    expect(page.get_by_role("button", name=t("Sign out"))).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=t("Sign out")).click()
    expect(page.get_by_label(t("Username"))).to_be_visible()
    expect(page.get_by_role("button", name=t("Sign out"))).to_have_count(0)
