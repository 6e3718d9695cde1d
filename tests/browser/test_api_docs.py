"""The API's documentation pages in Chromium load everything from this server.

Every request both pages make (scripts, styles, the schema, images, ReDoc's search
worker) and every console message is recorded: none goes to another host, and the
Content-Security-Policy reports no violation (ReDoc's Redocly logo from cdn.redoc.ly was
one: static/js/api-docs-offline.js keeps it from being requested).
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

# Recorded in the page before any of its scripts run; init scripts are not subject to its CSP.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def origin(url: str) -> str:
    parts = urlsplit(url.removeprefix("blob:"))
    return f"{parts.scheme}://{parts.netloc}"


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/api/v1/redoc/", lambda page: page.locator(".api-content h1")),
        ("/api/v1/docs/", lambda page: page.locator(".swagger-ui .info .title")),
    ],
    ids=["redoc", "swagger"],
)
def test_api_docs_load_nothing_from_outside(page: Page, live_server, staff, path, ready):
    sign_in(page, "staff")  # closed off DEBUG: for signed-in users only
    requests, messages, failed = [], [], []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("requestfailed", lambda request: failed.append((request.url, request.failure or "")))

    page.goto(path)
    expect(ready(page)).to_contain_text("Keelung KPI tracker API")
    page.wait_for_load_state("networkidle")

    here = origin(live_server.url)
    assert requests, "no request recorded"
    assert any(urlsplit(url).path == "/api/v1/schema/" for url in requests)
    outside = [url for url in requests if not url.startswith("data:") and origin(url) != here]
    assert outside == []
    # A request of this site that the browser itself cancelled (ReDoc rewrites the page's head while
    # the favicon loads) is not a failure; any other failed request is.
    assert [f"{url} {why}" for url, why in failed if not (origin(url) == here and "ERR_ABORTED" in why)] == []
    assert [m for m in messages if m.startswith("error") or "Content Security Policy" in m] == []
    assert page.evaluate("window.__cspViolations") == []
