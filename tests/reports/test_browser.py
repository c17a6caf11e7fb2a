"""The HTML leaderboard in a real browser: Debian's chromium, driven by selenium (headless).

Skips with the reason where chromium, its driver or selenium is missing (the README's test set-up
installs them)."""

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
