"""The dashboard in a real headless Chromium (Debian's, driven by Playwright) against a
real server over a warehouse built from a simulated world: every page loads without a
console error and draws its charts and tables with data; a search finds a planted
person and opens the profile; a chart's CSV download equals the API's answer; a shared
URL reopens the same view. A screenshot of each page is saved (to
``$TALENTATLAS_SCREENSHOTS`` when set)."""

from __future__ import annotations

import io
import os
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import httpx
import pyarrow.csv as pacsv
import pytest

from talentatlas.web.server import serving

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def site(sim_build, tmp_path_factory: pytest.TempPathFactory):
    playwright = pytest.importorskip("playwright.sync_api")
    world, atlas, s = sim_build
    shots = Path(os.environ.get("TALENTATLAS_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    with serving(s.warehouse) as base, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield world, atlas, base, browser, shots
        browser.close()


def _open(browser, url: str):
    """A new page at ``url``, drawn; returns (page, console errors)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=120_000)
    return page, errors


def _busiest(atlas) -> tuple[str, str]:
    """The country with the most researchers and the institution with the most."""
    st = atlas.stock(by="country").to_pylist()
    country = Counter({r["country"]: r["stock"] for r in st}).most_common(1)[0][0]
    inst = atlas.stock(by="institution").to_pylist()
    top = Counter()
    for r in inst:
        top[r["institution"]] += r["stock"]
    return country, top.most_common(1)[0][0]


def test_every_page_loads_and_draws_with_data(site):
    world, atlas, base, browser, shots = site
    country, inst = _busiest(atlas)
    person = "or:" + world.people[0].openreview_id
    year = atlas.latest_complete_year()
    pages = {
        "world": (f"/?year={year}", 1, 1),
        "world-stock": (f"/?value=stock&year={year}", 1, 1),
        "country": (f"/country/{country}", 4, 5),
        "flows": ("/flows", 2, 2),
        "organisation": (f"/organisation/{inst}", 3, 4),
        "people": ("/people", 0, 1),
        "person": (f"/person/{person}", 1, 1),
        "rankings": ("/rankings", 0, 1),
        "methodology": ("/methodology", 0, 0),
    }
    for name, (path, charts, tables) in pages.items():
        page, errors = _open(browser, base + path)
        assert errors == [], (name, errors)
        assert page.locator(".error").count() == 0, (name, page.locator(".error").all_inner_texts())  # fmt: skip
        assert page.locator(".chart[data-rendered='1'] .main-svg").count() >= charts, name
        rows = page.locator("tbody tr").count()
        assert (rows > 0) if tables else True, name
        assert page.locator(".table-wrap").count() >= tables, name
        page.screenshot(path=str(shots / f"{name}.png"))
        page.close()
    # the methodology page is the whole document, with its contents
    page, _ = _open(browser, f"{base}/methodology")
    assert page.locator(".doc h2").count() >= 10
    assert page.locator(".toc a").count() == page.locator(".doc h2, .doc h3").count()
    page.close()
    # the world map draws a country shape per placed country
    page, _ = _open(browser, f"{base}/?year={year}")
    assert page.locator(".choroplethlocation").count() > 0
    page.close()


def test_the_pages_first_questions_are_the_ones_warmed(site):
    """What the world, a country's, an organisation's, the flows, people and rankings
    pages ask is on the list the server answers ahead (``web.warm``)."""
    from talentatlas.web.service import key_of
    from talentatlas.web.warm import warm_paths

    _world, atlas, base, browser, _shots = site
    warmed = {key_of(*p.partition("?")[::2]) for p in warm_paths(atlas)}
    country = next(p for p in warm_paths(atlas) if p.startswith("/api/charts/country/"))
    country = country.split("/")[4].split("?")[0]
    org = next(p for p in warm_paths(atlas) if p.startswith("/api/organisations/"))
    org = org.split("/")[3]
    for path in ("/", f"/country/{country}", f"/organisation/{org}", "/flows", "/people",
                 "/rankings"):  # fmt: skip
        asked: list[str] = []
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r, asked=asked: asked.append(r.url) if "/api/" in r.url else None)
        page.goto(base + path)
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        page.close()
        assert asked, path
        for url in asked:
            rest = url.removeprefix(base)
            assert key_of(*rest.partition("?")[::2]) in warmed, (path, rest)


def test_search_finds_a_planted_person_and_opens_the_profile(site):
    world, _atlas, base, browser, _shots = site
    person = max(world.people, key=lambda p: p.last_year - p.first_year)
    page, errors = _open(browser, f"{base}/people")
    page.fill("#q", person.name)
    page.click("form#f button")
    page.wait_for_url("**/people?q=*")
    page.wait_for_selector("body[data-ready='1']")
    pid = "or:" + person.openreview_id
    link = page.locator(f"a[href='/person/{quote(pid, safe='~')}']")
    link.first.click()
    page.wait_for_url("**/person/**")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("h1").inner_text() == person.name
    assert page.locator("#timeline tbody tr").count() > 0
    assert errors == []
    page.close()


def test_csv_download_equals_the_api_answer(site):
    _world, atlas, base, browser, _shots = site
    country, _inst = _busiest(atlas)
    page, _errors = _open(browser, f"{base}/country/{country}")
    with page.expect_download() as dl:
        page.locator("#partners a.csv").click()
    got = pacsv.read_csv(io.BytesIO(Path(dl.value.path()).read_bytes())).to_pylist()
    api = httpx.get(f"{base}/api/countries/{country}/partners").json()["rows"]
    assert got == api and len(got) > 0
    page.close()


def test_a_shared_url_reopens_the_same_view(site):
    _world, atlas, base, browser, _shots = site
    lo, hi = atlas.years
    page, _ = _open(browser, f"{base}/")
    other = str(max(lo, hi - 4))
    page.select_option("#value", "stock")
    page.select_option("#year", other)
    page.wait_for_function(f"location.search.includes('year={other}')")
    page.wait_for_selector(".chart[data-rendered='1']")
    shared = page.url
    assert "value=stock" in shared and f"year={other}" in shared
    page.close()
    again, errors = _open(browser, shared)
    assert again.locator("#value").input_value() == "stock"
    assert again.locator("#year").input_value() == other
    titles = " ".join(again.locator("#map text").all_text_contents())
    assert other in titles
    assert errors == []
    again.close()


def test_pages_fit_a_phone_screen(site):
    """On a phone's width no page scrolls sideways: wide tables scroll in their frame."""
    world, atlas, base, browser, shots = site
    country, _inst = _busiest(atlas)
    for name, path in (("world", "/"), ("country", f"/country/{country}"),
                       ("person", f"/person/or:{world.people[0].openreview_id}")):  # fmt: skip
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(base + path)
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (name, width)
        page.screenshot(path=str(shots / f"phone-{name}.png"))
        page.close()
