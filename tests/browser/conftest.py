"""Drive Debian's Chromium through Playwright's sync API against pytest-django's live server."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from civic311.catalogue.models import ServiceAttribute

from ..factories import PASSWORD, ServiceAttributeFactory, select_attribute

# Playwright's sync API runs an event loop in the test's thread; Django would otherwise refuse the
# database calls the test makes between page actions.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (bin/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Each blocked thing with where it came from: a script the test evaluated has no source file (axe's own style
# elements, made when it reads the admin's @import stylesheets, are such), the page's markup and scripts have one.
CSP_LISTENER = """
window.__civic311_csp = [];
document.addEventListener("securitypolicyviolation", (event) => window.__civic311_csp.push(
    {source: event.sourceFile, directive: event.effectiveDirective, line: event.lineNumber}));
"""


@contextmanager
def recording_page(chromium, **options):
    """A page in a fresh context (closed afterwards) that records what the content security policy
    blocked, in `page.csp_violations`."""
    context = chromium.new_context(**{"locale": "en-US", **options})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.csp_violations = []
    page.site_csp_violations = []  # filled by axe_violations: what the page's own markup and scripts had blocked
    page.add_init_script(CSP_LISTENER)
    page.on(
        "console",
        lambda message: page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def phone_page(chromium):
    """A phone-sized page that records what the content security policy blocked."""
    with recording_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        yield page


@pytest.fixture
def screenshot_folder(tmp_path) -> Path:
    """Where screenshots go: CIVIC311_SCREENSHOTS when set, so that a person can look at them."""
    folder = Path(os.environ.get("CIVIC311_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(phone_page, screenshot_folder):
    """Save a full-page screenshot of the phone page (see `screenshot_folder`)."""
    folder = screenshot_folder

    def take(name: str) -> Path:
        path = folder / f"{name}.png"
        phone_page.screenshot(path=str(path), full_page=True)
        return path

    return take


def fill_sign_in(page, username: str, password: str = PASSWORD) -> None:
    """On the staff sign-in page: the username and the password, then Enter."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.keyboard.press("Enter")


def sign_in(page, live_server, path: str, user) -> None:
    """Open `path`, which sends a stranger to the sign-in page; sign in as `user` and land back on `path`."""
    page.goto(f"{live_server.url}{path}")
    page.wait_for_url(re.compile(r"/admin/login/"))
    fill_sign_in(page, user.username)
    arrive_at(page, live_server, path)


def arrive_at(page, live_server, path: str) -> None:
    """Wait until the page has loaded exactly `path`. Not a pattern ending in `path`: the sign-in page's own
    address (…/admin/login/?next=<path>) ends in it too, so such a wait returned before the sign-in was sent,
    and the next navigation raced it (the admin's accessibility test saw net::ERR_ABORTED)."""
    address = f"{live_server.url}{path}"
    page.wait_for_url(lambda url: url == address)


# --- accessibility: axe-core (vendored by scripts/vendor-static from npm; a test tool, never served) ---

AXE_SOURCE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
# WCAG 2.0 and 2.1, levels A and AA, and axe's best practices (landmarks, regions, headings).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_violations(page) -> list[dict]:
    """The page's accessibility violations by axe-core, at every impact: [{id, impact, help, targets}].
    Evaluated through the browser's debugging protocol, so the site's content-security policy stays as it
    is for the page's own scripts."""
    page.evaluate(AXE_SOURCE)
    # Only the violations come back: axe's passes list every node it checked, and building and sending them
    # was most of a page's time (resultTypes keeps one example node of each other kind, per axe's docs).
    violations = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(results => results.violations)",
        AXE_TAGS,
    )
    if hasattr(page, "site_csp_violations"):
        blocked = page.evaluate("() => window.__civic311_csp || []")
        page.site_csp_violations.extend({**v, "page": page.url} for v in blocked if v["source"])
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in violations
    ]


def ask_about_dumping(service):
    """The questions the report journeys answer: what was dumped (text, required) and how big the pile is
    (a choice of small or large, required)."""
    ServiceAttributeFactory(
        service=service,
        code="what",
        required=True,
        order=1,
        description="What was dumped?",
        datatype=ServiceAttribute.Datatype.STRING,
    )
    size = select_attribute(service, "size", ["small", "large"], required=True)
    size.order, size.description = 2, "How big is the pile?"
    size.save()
    return service
