"""Debian's headless Chromium through Debian's chromedriver, for the browser tests.

Never a driver or browser Selenium Manager would download; offline: every host name but 127.0.0.1 fails to
resolve. The tests fail (never skip), naming the fix, when Chromium or its driver is missing.
"""
import os

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
FIX = "install them: apt-get install chromium chromium-driver (as root or through sudo; `make setup` does it)"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")


def first_existing(paths):
    return next((path for path in paths if os.access(path, os.X_OK)), None)


def chromium_and_driver(chromium_paths=CHROMIUM, driver_paths=CHROMEDRIVER):
    """Debian's Chromium and chromedriver; the test fails (never skips), naming the fix, when either is missing."""
    chromium, chromedriver = first_existing(chromium_paths), first_existing(driver_paths)
    if chromium is None or chromedriver is None:
        pytest.fail(f"Chromium or chromedriver is missing ({chromium_paths[0]}, {driver_paths[0]}): {FIX}")
    return chromium, chromedriver


def chromium_driver(profile, window="1280,1600"):
    """A headless Chromium with a fresh profile in ``profile``."""
    chromium, chromedriver = chromium_and_driver()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--window-size={window}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("unhandledPromptBehavior", "ignore")  # an alert stays open, for the test to see
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(120)
    return driver
