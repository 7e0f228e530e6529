"""A student's term on the hub, in a real browser: log in, JupyterLab in French, the Assignment List, run, submit.

Debian's headless Chromium through Debian's chromedriver (tests/grading/test_browser_pages.py's set-up: nothing
downloaded, every host but 127.0.0.1 unreachable), on the hub of docs/hub.md (the session's `course_hub`). A
student made for this test logs in with the hub's password, fetches the released assignment from nbgrader's
Assignment List, opens it, runs its first cells, validates it and submits it. A screenshot of each step goes to
reports/hub/.
"""
import time

import pytest

from chromium import chromium_driver
from course_hub import PASSWORD, REPORTS

pytestmark = pytest.mark.browser

ASSIGNMENT = "tp_convolution"
#: JupyterLab's slow operations on a busy 2-core machine: a server's start, a kernel's, a validation.
SLOW = 240


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium_driver(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def student(course_hub, unix_users):
    return unix_users.create("hubweb")


class Steps:
    """The browser's steps, each waited for explicitly, each leaving a screenshot."""

    def __init__(self, driver):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.wait = lambda seconds=60: WebDriverWait(driver, seconds, poll_frequency=0.25)
        self.shots = 0
        REPORTS.mkdir(parents=True, exist_ok=True)

    def find(self, xpath, seconds=60, clickable=False):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC

        condition = EC.element_to_be_clickable if clickable else EC.visibility_of_element_located
        return self.wait(seconds).until(condition((By.XPATH, xpath)), message=f"nothing visible at {xpath}")

    def click(self, xpath, seconds=60):
        self.find(xpath, seconds, clickable=True).click()

    def screenshot(self, name):
        self.shots += 1
        self.driver.save_screenshot(str(REPORTS / f"browser-{self.shots:02d}-{name}.png"))

    def menu(self, top, item):
        self.click(f"//div[contains(@class, 'lm-MenuBar-itemLabel') and normalize-space()={top!r}]")
        self.click(f"//li[contains(@class, 'lm-Menu-item')]//div[contains(@class, 'lm-Menu-itemLabel') "
                   f"and normalize-space()={item!r}]")


def test_can_a_student_fetch_run_validate_and_submit_in_a_french_jupyterlab(course_hub, student, browser):
    try:
        student_term(course_hub, student, browser)
    except Exception:
        REPORTS.mkdir(parents=True, exist_ok=True)  # the page as the browser last showed it
        browser.save_screenshot(str(REPORTS / "browser-failure.png"))
        (REPORTS / "browser-failure.html").write_text(browser.page_source, encoding="utf-8")
        raise


def student_term(course_hub, student, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    steps = Steps(browser)
    lab = f"{course_hub.url}/user/{student.name}/lab"

    # Logging in starts the student's server, which opens JupyterLab.
    browser.get(f"{course_hub.url}/hub/login")
    steps.find("//input[@id='username_input']").send_keys(student.name)
    steps.find("//input[@id='password_input']").send_keys(PASSWORD)
    steps.click("//*[@id='login_submit']")
    steps.wait(SLOW).until(lambda d: d.current_url.startswith(lab), message="JupyterLab did not open")
    # In French: the menu bar says Fichier, Noyau...
    steps.find("//div[contains(@class, 'lm-MenuBar-itemLabel') and normalize-space()='Fichier']", SLOW)
    labels = [e.text for e in browser.find_elements("xpath", "//div[contains(@class, 'lm-MenuBar-itemLabel')]")]
    assert {"Fichier", "Noyau"} <= set(labels) and "File" not in labels, labels
    steps.screenshot("jupyterlab-fr")

    # The Assignment List lists the course's released assignment; Fetch puts it in the student's home.
    steps.menu("Nbgrader", "Assignment List")
    steps.click(f"//div[@id='released_assignments_list']//div[contains(@class, 'list_item')]"
                f"[.//*[normalize-space()={ASSIGNMENT!r}]]//button[normalize-space()='Fetch']", SLOW)
    steps.find(f"//div[@id='fetched_assignments_list']//div[contains(@class, 'list_item')]"
               f"[.//*[normalize-space()={ASSIGNMENT!r}]]", SLOW)
    steps.screenshot("assignment-list-fetched")

    # The notebook opens; its first code cells run in the course environment's kernel.
    browser.get(f"{lab}/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    steps.find("//div[contains(@class, 'jp-Notebook')]//div[contains(@class, 'jp-CodeCell')]", SLOW)
    # (once the kernel is idle: a cell run before it is connected is silently not run)
    steps.find("//div[contains(@class, 'jp-StatusBar-Widget')]//*[contains(normalize-space(), 'Inactif')]", SLOW)
    for index in (1, 2):  # the first two code cells: the imports, then the photo
        cell = f"(//div[contains(@class, 'jp-CodeCell')])[{index}]"
        steps.click(f"{cell}//div[contains(@class, 'cm-content')]")
        ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        steps.find(f"{cell}//div[contains(@class, 'jp-InputPrompt') and normalize-space()='[{index}]:']", SLOW)
    photo = steps.find("(//div[contains(@class, 'jp-CodeCell')])[2]//div[contains(@class, 'jp-OutputArea')]")
    assert "img : forme (1, 3, 256, 256)" in photo.text, photo.text
    steps.screenshot("notebook-cells-run")

    # Validate (nbgrader's toolbar button): the untouched answers fail, and the student is told which.
    steps.click("//*[contains(@class, 'validate-button')]//jp-button | //*[contains(@class, 'validate-button')]")
    dialog = steps.find("//div[contains(@class, 'jp-Dialog-content')]", SLOW)
    assert "failed" in dialog.text.lower() or "NotImplementedError" in dialog.text, dialog.text
    steps.screenshot("validated")
    steps.click("//div[contains(@class, 'jp-Dialog-content')]//button[last()]")

    # Submit from the Assignment List: it then shows the submission.
    steps.menu("Nbgrader", "Assignment List")
    steps.click(f"//div[@id='fetched_assignments_list']//div[contains(@class, 'list_item')]"
                f"[.//*[normalize-space()={ASSIGNMENT!r}]]//button[normalize-space()='Submit']", SLOW)
    steps.find(f"//div[@id='submitted_assignments_list']//div[contains(@class, 'list_item')]"
               f"[.//*[contains(normalize-space(), {ASSIGNMENT!r})]]", SLOW)
    steps.screenshot("submitted")
    inbound = course_hub.deployment.exchange / "cnn-pytorch" / "inbound"
    deadline = time.monotonic() + 30
    while not list(inbound.glob(f"{student.name}+{ASSIGNMENT}+*")) and time.monotonic() < deadline:
        time.sleep(0.5)
    [submitted] = inbound.glob(f"{student.name}+{ASSIGNMENT}+*")
    assert (submitted / f"{ASSIGNMENT}.ipynb").stat().st_uid == student.uid
