"""In a real browser, a hostile submission's pages run none of the student's scripts but show the figure.

Debian's Chromium, headless, driven by Selenium through Debian's chromedriver
(never a driver or browser Selenium Manager would download), offline (every
host name but 127.0.0.1 fails to resolve), opens:

1. the feedback page ``nbgrader generate_feedback`` writes for the hostile
   submission of ``hostile_pages`` (a file);
2. the formgrader's page of that submission, served by a real Jupyter server
   with nbgrader's server extension, started in the course copy (so its
   ``nbgrader_config.py`` applies), as the instructor (with the token).

Each attack would set ``window.__pwned``, change the title, add an element
``#pwned`` or open an alert (recorded by a hook installed before any page
script). None may happen; the student's figure (a PNG) must be displayed.
A screenshot of each page goes to the course copy's ``reports/`` and to the
repository's ``reports/`` (ignored by git). A control shows the detection
works: the same script injected into the feedback page without its
Content-Security-Policy runs; with it, it does not.
"""
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import course_config
from course import pipeline
from chromium import CHROMEDRIVER, chromium_and_driver, chromium_driver
from hostile_pages import ASSIGNMENT, MARK, RUN, feedback_path, figure_png, hostile_course

pytestmark = pytest.mark.browser

#: Installed before any script of the page: records alerts, and what the Content-Security-Policy blocks.
RECORDER = ("window.__alerts = []; window.alert = window.confirm = window.prompt = function (m) {"
            " window.__alerts.push(String(m)); };"
            "window.__blocked = []; document.addEventListener('securitypolicyviolation', function (e) {"
            " window.__blocked.push(e.violatedDirective + ' ' + e.blockedURI.split('/').pop()); });")
#: What the page says of the attacks, and of the student's figure.
INSPECT = """
const figure = Array.from(document.images).filter(i => i.src.startsWith(arguments[0]));
return {title: document.title, pwned: window.__pwned === undefined ? null : window.__pwned,
        marks: document.querySelectorAll('#pwned').length, alerts: window.__alerts || [],
        blocked: window.__blocked || [], mathjax: typeof window.MathJax,
        figures: figure.map(i => [i.complete, i.naturalWidth, i.naturalHeight])};
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium (Debian's) through Debian's chromedriver, offline, with a fresh profile."""
    driver = chromium_driver(tmp_path_factory.mktemp("chromium-profile"))
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
    try:
        yield driver
    finally:
        driver.quit()


def visit(driver, url):
    """Open ``url``, let its scripts and images settle; what ``INSPECT`` finds, and whether an alert is open."""
    from selenium.common.exceptions import NoAlertPresentException

    driver.get(url)
    deadline = time.monotonic() + 15
    while driver.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # handlers of images that fail to load, timers
    try:
        alert = driver.switch_to.alert.text
    except NoAlertPresentException:
        alert = None
    if alert is not None:
        driver.switch_to.alert.dismiss()
    return driver.execute_script(INSPECT, f"data:image/png;base64,{figure_png()[:40]}"), alert


def screenshot(driver, root, name):
    """The whole page as PNG, in the course copy's reports/ and the repository's reports/."""
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    paths = []
    for folder in (Path(root) / "reports", course_config.ROOT / "reports"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(base64.b64decode(shot["data"]))
        paths.append(folder / name)
    return paths


def assert_inert_with_figure(seen, alert):
    assert alert is None, f"a student's alert opened: {alert!r}"
    assert seen["alerts"] == [], seen
    assert seen["pwned"] is None and seen["marks"] == 0 and MARK not in seen["title"], seen
    assert seen["figures"] and all(done and width == 40 and height == 30 for done, width, height in seen["figures"]), \
        f"the student's figure is not displayed: {seen['figures']}"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """(course root, submission id): the hostile submission autograded, its feedback generated."""
    root, submission_id = hostile_course(tmp_path_factory.mktemp("browser") / "course")
    pipeline.generate_feedback(root, ASSIGNMENT)
    return root, submission_id


def test_does_the_feedback_page_run_no_student_script_and_show_the_figure(browser, course):
    root, _ = course
    seen, alert = visit(browser, feedback_path(root).as_uri())
    shots = screenshot(browser, root, "browser-feedback.png")
    assert_inert_with_figure(seen, alert)
    # the course's own script ran (its hash is in the policy), and the policy blocked no script (only
    # bootstrap's glyph fonts, which the one-file page does not carry)
    assert seen["mathjax"] == "object", seen
    assert [blocked for blocked in seen["blocked"] if not blocked.startswith("font-src")] == [], seen
    assert all(path.stat().st_size > 1000 for path in shots)


def test_does_the_feedback_pages_policy_alone_stop_a_script_the_sanitizer_missed(browser, course, tmp_path):
    root, _ = course
    page = feedback_path(root).read_text(encoding="utf-8")
    injected = f"<script>{RUN}</script><img src=\"x\" onerror=\"{RUN}\">"
    with_policy = tmp_path / "with_policy.html"
    with_policy.write_text(page.replace("</body>", injected + "</body>"), encoding="utf-8")
    without_policy = tmp_path / "without_policy.html"
    policy = re.search(r"<meta[^>]*Content-Security-Policy[^>]*>", page).group(0)
    without_policy.write_text(with_policy.read_text(encoding="utf-8").replace(policy, ""), encoding="utf-8")

    seen, alert = visit(browser, without_policy.as_uri())  # the control: the detection sees a script that runs
    assert seen["pwned"] and seen["marks"] and seen["alerts"] and MARK in seen["title"], seen
    seen, alert = visit(browser, with_policy.as_uri())
    assert_inert_with_figure(seen, alert)
    directives = {blocked.split()[0] for blocked in seen["blocked"]}
    assert {"script-src-elem", "script-src-attr"} <= directives, seen["blocked"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def formgrader(course, tmp_path_factory):
    """A real Jupyter server with nbgrader's formgrader, in the course copy: its base URL and token."""
    root, _ = course
    port, token = free_port(), "course-test-token-5d1c"
    jupyter = Path(sys.executable).parent / "jupyter"
    home = tmp_path_factory.mktemp("jupyter")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               # the course code under test, whatever the environment has installed
               PYTHONPATH=os.pathsep.join([str(course_config.ROOT), os.environ.get("PYTHONPATH", "")]))
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [str(jupyter), "server", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.allow_root=True",  # CI runs as root
         "--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=True"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"the Jupyter server stopped:\n{(home / 'server.log').read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the Jupyter server did not answer:\n{(home / 'server.log').read_text()[-4000:]}")
            time.sleep(0.5)
        yield base, token, home / "server.log"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_does_the_formgraders_page_run_no_student_script_and_show_the_figure(browser, course, formgrader):
    root, submission_id = course
    base, token, server_log = formgrader
    seen, alert = visit(browser, f"{base}/formgrader/submissions/{submission_id}/?token={token}")
    shots = screenshot(browser, root, "browser-formgrader.png")
    page = browser.page_source
    assert "Alice" in page or "student" in page, f"not the submission's page:\n{server_log.read_text()[-3000:]}"
    assert browser.find_elements("css selector", "div.nbgrader_cell"), "the formgrader's grading panels are missing"
    assert "Sortie JavaScript non exécutée, montrée comme texte" in page  # the course's sanitizer ran here
    assert_inert_with_figure(seen, alert)
    assert all(path.stat().st_size > 1000 for path in shots)


def test_does_a_missing_chromium_fail_the_browser_tests_with_the_fix(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium chromium-driver"):
        chromium_and_driver((str(tmp_path / "chromium"),), CHROMEDRIVER)
