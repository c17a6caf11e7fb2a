"""The HTML leaderboard in a real browser: Debian's chromium, driven by selenium (headless): the
sortable tables, and the whole report folder of real runs opened from ``file://`` (every image and
SVG loaded, no request leaving the folder, no console error).

Skips with the reason where chromium, its driver or selenium is missing (the README's test set-up
installs them)."""

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_reports import _mot_record  # noqa: E402

from unibench import reports  # noqa: E402


def _driver(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("Debian's chromium and chromium-driver are not installed (README test set-up)")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900"):
        opts.add_argument(a)
    opts.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=opts)


def test_sort_and_drill_down_in_chromium(tmp_path):
    from selenium.webdriver.common.by import By
    from unibench.reports.tidy import tidy

    recs = [
        _mot_record("resnet50", ids=4.0, fn=33.0, rid="a1"),
        _mot_record("resnet18", ids=1.0, fn=12.0, rid="b2"),
        _mot_record("pixels", ids=9.0, fn=50.0, rid="c3"),
    ]
    recs[0].metrics["HOTA"], recs[1].metrics["HOTA"], recs[2].metrics["HOTA"] = 0.6, 0.8, 0.4
    page = tmp_path / "leaderboard.html"
    page.write_text(reports.html_page(tidy(recs, published=False), recs))
    d = _driver(tmp_path)
    try:
        d.get(page.as_uri())
        table = d.find_element(By.CSS_SELECTOR, "table.lb")
        heads = table.find_elements(By.CSS_SELECTOR, "thead tr:last-child th")
        names = [h.text for h in heads]

        def column(name):
            i = names.index(name)
            return [
                r.find_elements(By.TAG_NAME, "td")[i].text
                for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")
            ]

        def models():
            return [c.split("\n")[0].split(" (")[0].split(" ▸")[0] for c in column("model")]

        heads[names.index("HOTA (association)")].click()  # higher is better: best first
        assert column("HOTA (association)") == ["80.0", "60.0", "40.0"]
        heads[names.index("IDs (association)")].click()  # lower is better: fewest first
        assert column("IDs (association)") == ["1", "4", "9"]
        heads[names.index("IDs (association)")].click()  # a second click reverses
        assert column("IDs (association)") == ["9", "4", "1"]
        assert models()[0].startswith("pixels")
        # the drill-down opens from its row
        row = next(
            r
            for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")
            if r.text.startswith("resnet50")
        )
        row.find_element(By.CSS_SELECTOR, "a.drill").click()
        opened = [e for e in d.find_elements(By.TAG_NAME, "details") if e.get_attribute("open")]
        assert len(opened) == 1 and "resnet50" in opened[0].text
        cells = [c.text for c in opened[0].find_elements(By.TAG_NAME, "td")]
        assert "33" in cells and "4" in cells and "3300" not in cells  # counts as integers
        assert "70.0" in cells  # HOTA in percent
        # the header stays visible: sticky
        pos = d.execute_script(
            "return getComputedStyle(document.querySelector('table.lb thead th')).position"
        )
        assert pos == "sticky"
        shot = tmp_path / "leaderboard.png"  # the screenshot, in the test's folder
        d.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        d.quit()


def test_the_report_folder_opens_offline_in_chromium(tmp_path):
    """A report of two embedded runs (VOS and MOT, with their worst sequence rendered where
    the [video] extra is installed) opened from file://: every figure and thumbnail loads, every
    request stays inside the folder, the console has no error, the tables still sort."""
    from selenium.webdriver.common.by import By

    from unibench.app.cli import main

    store, rep = tmp_path / "store", tmp_path / "report"
    for task in ("vos", "mot"):
        assert main(["run", "--model", "pixels", "--task", task, "--output", str(store),
                     "--no-progress"]) == 0  # fmt: skip
    try:
        import av  # noqa: F401

        videos = ["--videos", "1"]
    except ImportError:
        videos = []
    assert main(["report", "--store", str(store), "--out", str(rep), *videos]) == 0
    d = _driver(tmp_path)
    try:
        d.get_log("performance")  # drained: the browser's own start-up pages
        page = (rep / "leaderboard.html").as_uri()
        d.get(page)
        d.execute_script("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        d.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        imgs = d.find_elements(By.TAG_NAME, "img")
        n_svg = sum(i.get_attribute("src").endswith(".svg") for i in imgs)
        assert n_svg >= 4  # OPE-free report: radar, correlation, J&F bars, HOTA vs alpha
        if videos:
            assert sum(i.get_attribute("src").endswith(".jpg") for i in imgs) == 2
        loaded = d.execute_script(
            "return [...document.images].map(i => [i.getAttribute('src'), i.complete && "
            "i.naturalWidth > 0, i.alt.length])"
        )
        assert all(ok and alt for _, ok, alt in loaded), loaded
        # every request the page made (DevTools' network log): inside the report folder
        sent = [
            m["params"]
            for e in d.get_log("performance")
            if (m := json.loads(e["message"])["message"])["method"] == "Network.requestWillBeSent"
        ]
        urls = [p["request"]["url"] for p in sent if p.get("documentURL") == page]
        base = rep.as_uri()
        assert len(urls) >= 1 + n_svg and all(u.startswith(base + "/") for u in urls), urls
        errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        th = d.find_element(By.CSS_SELECTOR, "table.lb thead tr:last-child th:nth-child(3)")
        th.click()  # sorting still works with figures between the tables
        assert th.get_attribute("data-dir") in ("asc", "desc")
    finally:
        d.quit()
