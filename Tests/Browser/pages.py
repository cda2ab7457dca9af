"""The sign-in pages in a real Chromium (Debian's chromium and chromium-driver,
Selenium from PyPI): a wrong password is refused on the page, the right one
opens the worklist with the signed report, the browser reports no error (no
blocked script, no CSP violation), and signing out returns to the form.
Usage: pages.py BASE_URL USERNAME PASSWORD ACCESSION SCREENSHOT_DIR
"""
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, username, password, accession, shots = sys.argv[1:6]
options = Options()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"]:
    options.add_argument(a)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def sign_in(user, secret):
    driver.get(base + "/login")
    driver.find_element(By.NAME, "username").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(secret)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


try:
    sign_in(username, "not the password at all")
    # A refused sign-in answers a second later: wait for the answer, not for the click.
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CLASS_NAME, "message"))
    check(driver.current_url.endswith("/login"), "a wrong password left the sign-in page")
    check("not right" in driver.find_element(By.CLASS_NAME, "message").text, "no message for a wrong password")
    driver.get_log("browser")  # the refused sign-in's 401 is by design; what follows must be clean
    sign_in(username, password)
    WebDriverWait(driver, 15).until(lambda d: d.current_url.rstrip("/") == base)
    check(driver.current_url.rstrip("/") == base, f"signing in went to {driver.current_url}")
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "tbody td")]
    check(accession in cells, f"the worklist does not list {accession}: {cells}")
    driver.save_screenshot(os.path.join(shots, "worklist.png"))
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    check(not errors, f"the browser reported {errors}")
    check(not driver.execute_script("return document.cookie"), "a script can read the session cookie")
    driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
    WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/login"))
    check(driver.current_url.endswith("/login"), f"signing out went to {driver.current_url}")
    driver.get(base + "/")
    check(driver.current_url.endswith("/login"), "the worklist opened after signing out")
finally:
    driver.quit()

if failures:
    print("browser: " + "; ".join(failures), file=sys.stderr)
    sys.exit(1)
print("browser: sign-in refused and accepted, worklist shown, no browser errors, cookie unreadable by scripts, sign-out ends it")
