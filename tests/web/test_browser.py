"""The dashboard in a real Chromium (Debian's, driven by Playwright) against a running server.

Each test saves screenshots of the pages it visits under its ``tmp_path`` (run with
``--basetemp DIR`` to keep them somewhere known and look at them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from web.world import PASSWORD, World

from factories import PERSON, services_required

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARGS += ["--disable-component-update"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (skipped without it, unless services are required)."""
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if services_required():
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        yield launched
        launched.close()


def _page(browser: Browser, **options: object) -> Iterator[Page]:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def person(browser: Browser) -> Iterator[Page]:
    """A browser tab of the person's (its own cookies)."""
    yield from _page(browser, viewport={"width": 1280, "height": 900})


@pytest.fixture
def partner(browser: Browser) -> Iterator[Page]:
    """A browser tab of the partner's, apart from the person's."""
    yield from _page(browser, viewport={"width": 1280, "height": 900})


def log_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#identifier", PERSON)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{base_url}/me")


def shot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"{name}: the screenshot is nearly empty"
    return path


def threshold_check(page: Page, base_url: str, world: World, minimum: int) -> None:
    page.goto(f"{base_url}/partner")
    page.fill("#check-key", world.partner_key)
    page.fill("#check-id", str(world.request_id))
    page.fill("#check-min", str(minimum))
    page.get_by_role("button", name="Check", exact=True).click()


def test_a_person_sees_the_score_dial_the_radar_and_the_reasons(
    person: Page, served: str, tmp_path: Path
) -> None:
    log_in(person, served)
    dial = person.locator("svg.dial")
    expect(dial).to_be_visible()
    expect(dial.locator(".dial-score")).to_have_text("640")
    expect(dial.locator(".dial-band")).to_have_text("good")
    expect(dial.locator(".dial-band-zh")).to_have_text("良好")
    expect(dial.locator("title")).to_have_text(re.compile("350 to 950"))
    expect(person.locator(".percentile")).to_have_text("Higher than 70% of people")
    expect(person.locator(".facts")).to_contain_text("As of1 November 2026")
    radar = person.locator("svg.radar")
    expect(radar).to_be_visible()
    expect(radar.locator(".axis")).to_have_count(5)
    expect(radar.locator(".axis-name")).to_have_text(
        ["History", "Capacity", "Identity", "Behaviour", "Network"]
    )
    reasons = person.locator("ol.reasons > li")
    expect(reasons).to_have_count(2)
    expect(reasons.first).to_contain_text("Balances on revolving credit lines")
    expect(reasons.first.locator(".tip")).to_contain_text("Keep card balances")
    expect(person.get_by_role("heading", name="What would raise it")).to_be_visible()
    expect(person.locator("svg.history .dot")).to_have_count(2)
    expect(person.locator("#privileges-heading")).to_be_visible()
    expect(person.get_by_text("10 points short").first).to_be_visible()
    shot(person, tmp_path, "person")
    person.set_viewport_size(PHONE)
    expect(dial).to_be_visible()
    width = person.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width} px)"
    shot(person, tmp_path, "person-phone")


def test_the_login_form_works_from_the_keyboard(person: Page, served: str) -> None:
    person.goto(f"{served}/login")
    person.keyboard.press("Tab")
    expect(person.locator(".skip")).to_be_focused()
    person.keyboard.press("Tab")  # past the logo link
    person.keyboard.press("Tab")
    expect(person.locator("#identifier")).to_be_focused()
    person.keyboard.type(PERSON)
    person.keyboard.press("Tab")
    person.keyboard.type(PASSWORD)
    person.keyboard.press("Enter")
    expect(person).to_have_url(f"{served}/me")


def test_approving_lets_the_partner_check_and_revoking_denies_it(
    person: Page, partner: Page, served: str, world: World, tmp_path: Path
) -> None:
    threshold_check(partner, served, world, 600)
    expect(partner.locator("#result")).to_contain_text("pending")
    log_in(person, served)
    request = person.locator(f"#grant-{world.request_id}")
    expect(request).to_contain_text("acme asks to see only a yes/no")
    request.get_by_role("button", name=re.compile("^Approve")).click()
    expect(person.get_by_role("status")).to_contain_text("Request approved")
    shot(person, tmp_path, "person-approved")

    threshold_check(partner, served, world, 600)
    expect(partner.locator(".answer-letter")).to_have_text("Y")
    shot(partner, tmp_path, "partner-yes")
    threshold_check(partner, served, world, 650)
    expect(partner.locator(".answer-letter")).to_have_text("N")

    person.goto(f"{served}/me#partners")
    grant = person.locator(f"#grant-{world.request_id}")
    grant.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(person.get_by_role("status")).to_contain_text("Grant revoked")

    threshold_check(partner, served, world, 600)
    expect(partner.get_by_role("alert")).to_have_text("No authorization covers this request.")
    expect(partner.locator(".answer-letter")).to_have_count(0)
    shot(partner, tmp_path, "partner-denied")

    person.goto(f"{served}/me#access")
    log = person.locator("#access tbody tr")
    expect(log).to_have_count(3)
    expect(log.first).to_contain_text("denied")
    expect(log.nth(1)).to_contain_text("yes/no at 650")
    shot(person, tmp_path, "person-access-log")


def test_a_person_disputes_a_record_and_sees_its_clock(
    person: Page, served: str, tmp_path: Path
) -> None:
    log_in(person, served)
    person.get_by_role("link", name="Dispute a record…").click()
    expect(person.get_by_role("heading", name="Your records")).to_be_visible()
    expect(person.locator("tbody tr")).to_have_count(3)
    shot(person, tmp_path, "records")
    person.get_by_role("link", name="Dispute repayment bank-r1 from bank").click()
    person.get_by_label("Why is this record wrong?").fill("I paid this instalment on time.")
    shot(person, tmp_path, "dispute-form")
    person.get_by_role("button", name="Open the dispute").click()
    expect(person.get_by_role("status")).to_contain_text("Dispute opened")
    row = person.locator("#disputes tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("pending")
    expect(row).to_contain_text("1 Dec 2026")  # opened 1 Nov 2026, 30 days to answer
    expect(row.locator(".clock")).to_have_text("30 days left")
    shot(person, tmp_path, "person-disputes")


def test_the_operator_sees_the_run_sources_and_disputes(
    person: Page, served: str, world: World, tmp_path: Path
) -> None:
    subject = world.home.tokeniser.subject(PERSON)
    world.home.disputes.open(subject, source="bank", event_id="bank-l1", statement="not my loan")
    person.goto(f"{served}/operator")
    person.fill("#token", world.operator_token)
    person.get_by_role("button", name="Sign in").click()
    expect(person.get_by_role("heading", name="Scores being served")).to_be_visible()
    expect(person.locator(".stat").first).to_contain_text("2")
    bands = person.locator(".bars .bar-row")
    expect(bands).to_have_count(6)
    expect(bands.nth(4)).to_have_text(re.compile(r"excellent\s+极好\s+1 \(\+1\)"))
    expect(person.locator("#sources tbody tr")).to_contain_text("bank")
    expect(person.locator("#model")).to_contain_text("0.812")
    expect(person.locator("#disputes")).to_contain_text("1 waiting")
    expect(person.get_by_role("row", name="under 7 days ago 1")).to_be_visible()
    shot(person, tmp_path, "operator")
    person.set_viewport_size(PHONE)
    shot(person, tmp_path, "operator-phone")
