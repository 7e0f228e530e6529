"""The class report in headless Chromium (Debian's, offline): its figures show, a student's text in a message
stays text, and a screenshot goes to the course copy's reports/ and the repository's reports/ (ignored by git)."""
import base64
from pathlib import Path

import pytest

import course_config
from chromium import chromium_driver
from course.reporting.course_directory import load_nbgrader_app
from course.reporting.figures import FIGURES
from course.reporting.gather import gather
from course.reporting.page import render_html, shown
from course.reporting.report import write_class_report
from small_class import ASSIGNMENT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: What a student's own exception could carry into a test's message.
HOSTILE = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>"
INSPECT = """
return {title: document.title, pwned: window.__pwned === undefined ? null : window.__pwned,
        scripts: document.scripts.length, text: document.body.innerText,
        figures: Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])};
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium_driver(tmp_path_factory.mktemp("chromium-profile"), window="1280,1400")
    try:
        yield driver
    finally:
        driver.quit()


def visit(driver, path):
    driver.get(path.resolve().as_uri())
    return driver.execute_script(INSPECT)


def test_does_the_class_report_show_its_figures_in_a_browser(browser, small_class):
    page, _ = write_class_report(small_class.root, ASSIGNMENT)
    seen = visit(browser, page)
    assert seen["title"] == f"Class report: {ASSIGNMENT}" and seen["scripts"] == 0
    assert len(seen["figures"]) == 2 and all(done and width > 300 and height > 200
                                             for done, width, height in seen["figures"]), seen["figures"]
    assert "double(3) devrait valoir 6" in seen["text"]
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    for folder in (small_class.root / "reports", Path(course_config.ROOT) / "reports"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "class-report.png").write_bytes(base64.b64decode(shot["data"]))
        assert (folder / "class-report.png").stat().st_size > 10_000


def test_does_a_students_text_in_a_message_stay_text(browser, small_class, tmp_path):
    numbers = gather(load_nbgrader_app(small_class.root).coursedir, ASSIGNMENT)
    numbers.questions[0].wrong_answers.append((HOSTILE, 1))
    page = tmp_path / "hostile-class.html"
    page.write_text(render_html(numbers, [shown(draw(numbers), name, f"{name}.png") for name, draw in FIGURES.items()]),
                    encoding="utf-8")
    seen = visit(browser, page)
    assert seen["pwned"] is None and seen["scripts"] == 0 and HOSTILE in seen["text"]
