"""The resident's pages under axe-core (https://github.com/dequelabs/axe-core, installed from npm
by `make install`, package.json): 刘志辉 of the demo district on a 375 px phone walks every page
his menu offers (with the menu open on his workbench), his household, and the first matter of
his community and the first vote he is offered where there are any, first as they are and then
in care mode 关怀模式 (switched on with the button in the top bar). axe (WCAG 2.1 A and AA, and
its best practices) finds no violation of impact "serious" or "critical" on any of them; no page
is wider than the phone; in care mode body text is 18 px or more, every button and field 48 px
tall or more, and the explanations marked secondary are left out.

Without axe-core (npm missing, `npm ci` not run; LINLI_AXE may name another axe.min.js) the test
skips with the reason; under CI (CI=true) it fails instead, as the browser tests do without
Chromium (tests/browser.py). Screenshots: test-artifacts/screenshots/care-*.png.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import DESKTOP, PHONE, log_in, nav_hrefs, open_nav, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(
    os.environ.get(
        "LINLI_AXE",
        Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js",
    )
)
SEVERE = ("serious", "critical")
BIG_TARGET_PX = 48
BODY_TEXT_PX = 18

# The rules of WCAG 2.1 A and AA (what GB/T 37668 takes up) and axe's best practices.
_AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + n.failureSummary.split("\\n").slice(1).join("; ")),
  }));
}"""

# What a finger presses or reads, too small for care mode.
_TOO_SMALL = """([target, text]) => {
  const small = [];
  const seen = el => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    return s.display !== "none" && s.visibility !== "hidden" && r.width > 0 && r.height > 0; };
  for (const el of document.querySelectorAll(
      "button, .btn, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, .nav-link, .page-link")) {
    if (seen(el) && el.getBoundingClientRect().height < target - 0.5) {
      small.push(`${el.tagName}.${el.className} "${(el.textContent || el.name || "").trim().slice(0, 30)}" ${el.getBoundingClientRect().height.toFixed(0)} px tall`);
    }
  }
  for (const el of document.querySelectorAll("main p, main li, main td, main label, main dd, main .form-text")) {
    if (seen(el) && el.textContent.trim() && parseFloat(getComputedStyle(el).fontSize) < text - 0.5) {
      small.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" at ${getComputedStyle(el).fontSize}`);
    }
  }
  return small;
}"""


# The elements that reach past the window's right edge, to say where to look.
_WIDE = """() => [...document.querySelectorAll("body *")]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map(el => `${el.tagName}.${el.className} ${el.getBoundingClientRect().right.toFixed(0)} px`)"""


@pytest.fixture
def axe() -> Path:
    """axe-core's script, looked for before the demo district is built."""
    if AXE.exists():
        return AXE
    reason = f"axe-core not found at {AXE} (run `npm ci` in the project root, or `make install`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the accessibility test cannot run under CI: {reason}")
    pytest.skip(reason)


def _first_link(page, url: str, pattern: str) -> list[str]:
    """The first link on the page at `url` whose path matches `pattern` (a JavaScript regex)."""
    page.goto(url)
    paths = page.locator("main a").evaluate_all(
        "(links, pattern) => links.map(a => a.pathname).filter(p => new RegExp(pattern).test(p))",
        pattern,
    )
    return paths[:1]


def _resident_pages(page, base: str) -> list[str]:
    """Every page the resident's menu offers (the catalogue, his applications, raising an
    appeal, his community's matters, his votes, …), his household (linked from his workbench),
    and the first matter of his community and the first vote he is offered, if any."""
    open_nav(page)
    hrefs = nav_hrefs(page)
    hrefs.append(page.locator("main a[href^='/registry/households/']").first.get_attribute("href"))
    hrefs += _first_link(page, f"{base}/decide/community/", r"^/decide/\\d+/$")
    hrefs += _first_link(page, f"{base}/decide/votes/mine/", r"^/decide/votes/\\d+/")
    return list(dict.fromkeys(hrefs))


def _check(page, axe: Path, base: str, href: str, mode: str, found: dict[str, list]) -> None:
    response = page.goto(f"{base}{href}")
    assert response is not None and response.ok, f"{href} answered {response and response.status}"
    if href == "/":  # the menu too, opened with the hamburger button
        open_nav(page)
    # Evaluated rather than added as a <script> element: the pages' CSP (script-src 'self')
    # refuses an inline script, and stays on, so the test sees what a resident's browser sees.
    page.evaluate(axe.read_text(encoding="utf-8"))
    violations = page.evaluate(_AXE_RUN)
    print(mode, href, "axe:", [(v["id"], v["impact"], len(v["nodes"])) for v in violations])
    severe = [v for v in violations if v["impact"] in SEVERE]
    if severe:
        found[f"{mode} {href}"] = severe
    if wide := wider_than_window(page):
        found[f"{mode} {href}: wider than the phone"] = wide + page.evaluate(_WIDE)
    if mode == "care" and (small := page.evaluate(_TOO_SMALL, [BIG_TARGET_PX, BODY_TEXT_PX])):
        found[f"{mode} {href}: too small for care mode"] = small


def test_resident_pages_pass_axe_as_they_are_and_in_care_mode(axe, page_at, problems, demo_site):
    from playwright.sync_api import expect

    page = page_at("phone")
    base = demo_site
    log_in(page, base, "resident")
    hrefs = _resident_pages(page, base)
    assert len(hrefs) >= 5, hrefs
    print("the resident's pages:", hrefs)

    found: dict[str, list] = {}
    for href in hrefs:
        _check(page, axe, base, href, "normal", found)
    page.goto(f"{base}/")
    screenshot(page, "care-off-workbench", max_height=1600)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/")
    screenshot(page, "care-off-desktop", max_height=900)
    page.set_viewport_size(PHONE)

    # Care mode, with the button in the top bar: back on the same page, and on every page after.
    page.goto(f"{base}{hrefs[-1]}")
    page.get_by_test_id("care-switch").click()
    page.wait_for_url(f"{base}{hrefs[-1]}")
    expect(page.locator("html.elder")).to_have_count(1)
    expect(page.get_by_test_id("care-switch")).to_have_attribute("aria-pressed", "true")
    for href in hrefs:
        _check(page, axe, base, href, "care", found)
    page.goto(f"{base}/")
    screenshot(page, "care-on-workbench", max_height=1600)
    open_nav(page)
    screenshot(page, "care-on-menu", max_height=1600)
    page.set_viewport_size(DESKTOP)  # the switch sits at the end of the bar on a wide screen
    page.goto(f"{base}/")
    expect(page.get_by_test_id("care-switch")).to_be_visible()
    screenshot(page, "care-on-desktop", max_height=900)
    page.set_viewport_size(PHONE)
    # Fewer words: the explanations marked as secondary are left out.
    page.goto(f"{base}/decide/community/")
    expect(page.locator("main .care-hide")).not_to_have_count(0)
    expect(page.locator("main .care-hide").first).to_be_hidden()
    screenshot(page, "care-on-community", max_height=1600)
    page.goto(f"{base}/appeals/mine/new/")
    screenshot(page, "care-on-appeal-form", max_height=1600)

    assert found == {}, (
        "axe's serious or critical violations, and what does not fit:\n"
        + json.dumps(found, ensure_ascii=False, indent=1)
    )
    problems.assert_clean()
