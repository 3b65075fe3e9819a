"""A keyboard-only report (issue 21, WCAG 2.1.1, 2.1.2, 2.4.3, 2.4.7, 3.3.1): from the home page to the
confirmation with Tab, Shift+Tab, Enter, Space, the arrow keys and typing, never a click; in English and in
Arabic (right to left). Every control reached shows where the focus is; the map neither traps the focus nor
stands in the way; after a report sent with its required answers missing, the error summary takes the focus and
its links lead to the fields."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from .conftest import ask_about_dumping, axe_violations, recording_page

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
# More Tab presses than any page here needs to go from one control to the next one wanted.
MOST_PRESSES = 60

FOCUSED = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return {
        id: element.id, tag: element.tagName.toLowerCase(), href: element.getAttribute("href") || "",
        type: element.getAttribute("type") || "", name: element.getAttribute("name") || "",
        submit: element.hasAttribute("data-submit"), map: element.classList.contains("leaflet-container"),
        visible: outline || style.boxShadow !== "none",
    };
}"""


@pytest.fixture
def dumping(transactional_db, service, center_city, settings, live_server):
    # Tiles that cannot load (no test reaches the internet): the map is drawn all the same, with its controls.
    settings.MAP_TILE_URL = f"{live_server.url}/static/no-such-tiles/{{z}}/{{x}}/{{y}}.png"
    return ask_about_dumping(service)


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab_to(page, wanted, *, key: str = "Tab", through=None) -> dict:
    """Press `key` until the focused control is `wanted` (a test of `focused`); each control on the way must
    show its focus. `through` sees each control passed."""
    for _ in range(MOST_PRESSES):
        page.keyboard.press(key)
        now = focused(page)
        if now is None:
            continue
        assert now["visible"], f"no visible focus indicator on {now}"
        if wanted(now):
            return now
        if through:
            through(now)
    raise AssertionError(f"{key} never reached the control wanted (last: {focused(page)})")


def by_id(element_id: str):
    return lambda now: now["id"] == element_id


def report_in(page, live_server, service, language: str, direction: str) -> str:
    """The whole report, by keyboard; the tracking number shown at the end."""
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}/")
    html = page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")
    assert html == [language, direction]

    # Home: the first Tab reaches the skip link, then on to "Report a problem".
    page.keyboard.press("Tab")
    assert (focused(page) or {}).get("href") == "#main"
    tab_to(page, lambda now: now["tag"] == "a" and now["href"] == "/report/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/report/$"))

    # Choose the service.
    tab_to(page, lambda now: now["href"] == f"/report/{service.code}/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/report/{service.code}/$"))
    page.locator("#report-map.leaflet-container").wait_for(state="visible")

    # Sent with nothing filled in: the error summary takes the focus; its links lead to the fields.
    tab_to(page, lambda now: now["submit"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/report/{service.code}/$"))
    page.locator("#error-summary").wait_for()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'error-summary'")
    targets = page.eval_on_selector_all("#error-summary a", "links => links.map(a => a.getAttribute('href'))")
    assert len(targets) >= 2, targets  # the question and the place at least
    for target in targets:
        assert target.startswith("#"), target
        assert page.locator(target).count() == 1, f"the summary's link {target} leads nowhere"
    assert axe_violations(page) == []  # the form with its errors shown is accessible too
    assert (focused(page) or {}).get("id") == "error-summary"
    first_link = tab_to(page, lambda now: now["tag"] == "a")
    assert first_link["href"] == targets[0]
    page.keyboard.press("Enter")
    # The link takes the focus to its field, ready for typing.
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=targets[0][1:])
    field = focused(page) or {}
    assert field.get("visible") and (field["tag"], field["type"]) == ("input", "text"), field  # "What was dumped?"

    # About the problem: the questions and the description.
    page.keyboard.type("Old tires and a sofa")
    radio = tab_to(page, lambda now: now["type"] == "radio")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # the second choice, "Large"
    assert page.locator(f"input[name='{radio['name']}']:checked").get_attribute("value") == "large"
    tab_to(page, by_id("id_description"))
    page.keyboard.type("A pile of tires on the sidewalk by the bus stop.")

    # Where: the address typed; then Tab goes through the map and out of it again.
    tab_to(page, by_id("id_address"))
    page.keyboard.type("1400 John F Kennedy Blvd")
    if page.get_attribute("#id_address", "aria-expanded") == "true":
        page.keyboard.press("Escape")  # the suggestions close; the address stays as typed
    assert page.input_value("#id_address") == "1400 John F Kennedy Blvd"
    passed: list[dict] = []
    tab_to(page, by_id("id_lat"), through=passed.append)
    assert any(now["map"] for now in passed), "Tab never reached the map"
    # ... and back again with Shift+Tab: the map does not keep the focus either way.
    tab_to(page, by_id("id_address"), key="Shift+Tab")
    tab_to(page, by_id("id_lat"))
    page.keyboard.type("39.9526")
    tab_to(page, by_id("id_long"))
    page.keyboard.type("-75.1635")

    # Send it.
    tab_to(page, lambda now: now["submit"])
    page.keyboard.press("Enter")
    # (The form's address keeps the fragment of the summary's link followed before.)
    page.wait_for_url(re.compile(r"/report/done/\d+/(#[\w-]*)?$"))
    found = re.search(r"/report/done/(\d+)/", page.url)
    assert found is not None
    number = found[1]
    assert number in page.locator(".confirmation-panel").inner_text()
    assert page.evaluate("() => document.documentElement.dir") == direction
    assert axe_violations(page) == []
    return number


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ar", "rtl")])
def test_a_resident_reports_a_problem_with_the_keyboard_alone(live_server, dumping, chromium, language, direction):
    with recording_page(chromium, viewport=DESKTOP) as page:
        number = report_in(page, live_server, dumping, language, direction)
        assert re.fullmatch(r"\d+", number)
        assert page.csp_violations == []
