"""The pathologist's workspace in a real Chromium (Debian's chromium and
chromium-driver, Selenium from PyPI), against the real server:

1. fill the forearm seed case from a blank draft, finding every control by
   its label; grade and stage appear, warnings come and go as therapy is
   changed, a hidden answer is cleared with a note; the preview is the
   report `synoptic render` gives for the seed file (text) and for the
   exported draft (HTML, same bytes); each live update's round trip is timed;
2. sign it out with the password, compare the stored text report with the
   command line's sign-out of the exported case at the same time; amend it,
   seeing the changed item before signing;
3. complete a biopsy with the keyboard alone (Tab, typing, arrows, Space, Enter);
4. one draft open in two sessions: the second save gets the conflict and reloads;
5. markup in every free-text field runs nowhere: form, preview, signed report;
6. accessibility: axe-core (PyPI axe-core-python) and our own checks;
7. with script switched off, the same page saves by a plain form post.

Usage: workspace.py BASE_URL SYNOPTIC_BIN SCREENSHOT_DIR WORK_DIR
Accounts: ivale (pathologist) / "imogen vale passphrase", res1 (resident) / "resident passphrase here".
"""
import base64
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import Select, WebDriverWait

base, binary, shots, work = sys.argv[1:5]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PATHOLOGIST = ("ivale", "imogen vale passphrase")
failures = []
step = [0]


def check(condition, what):
    if not condition:
        failures.append(what)
        print("  FAILED: " + what, file=sys.stderr)
    return condition


def browser():
    options = Options()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"]:
        options.add_argument(a)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)


def shot(d, name):
    step[0] += 1
    d.save_screenshot(os.path.join(shots, "workspace-%02d-%s.png" % (step[0], name)))


def sign_in(d, user, secret):
    d.get(base + "/login")
    d.find_element(By.NAME, "username").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(secret)
    d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(d, 20).until(lambda d: d.current_url.rstrip("/") == base)


def cli(*args, env=None):
    return subprocess.run([binary, *args], check=True, capture_output=True, env=env).stdout


def label_text(d, label):
    # The label's own words, without its "required" marker.
    return d.execute_script(
        "var l = arguments[0]; var t = ''; l.childNodes.forEach(function (n) { if (n.nodeType === 3) { t += n.nodeValue; } }); return t.trim();",
        label)


def control(d, scope, label):
    """The control a label names, inside scope (the page, or one row)."""
    for l in scope.find_elements(By.TAG_NAME, "label"):
        if l.is_displayed() and label_text(d, l) == label and l.get_attribute("for"):
            return d.find_element(By.ID, l.get_attribute("for"))
    for legend in scope.find_elements(By.TAG_NAME, "legend"):
        if legend.is_displayed() and label_text(d, legend) == label:
            return legend.find_element(By.XPATH, "..")
    raise AssertionError("no control labelled %r" % label)


def fill(d, scope, label, value):
    el = control(d, scope, label)
    if el.tag_name == "select":
        Select(el).select_by_value(value)
    elif el.tag_name == "fieldset":
        for box in el.find_elements(By.CSS_SELECTOR, "input[type=checkbox]"):
            if (box.get_attribute("value") in value) != box.is_selected():
                click(d, box)
    else:
        el.clear()
        el.send_keys(value)
    return el


def qualified(d, scope, label, how, number=None, unit=None, reason=None):
    value = control(d, scope, label)
    box = value.find_element(By.XPATH, "..")
    Select(box.find_element(By.CSS_SELECTOR, "select[data-qualifier]")).select_by_value(how)
    if number is not None:
        value.clear()
        value.send_keys(number)
    if unit is not None:
        Select(box.find_element(By.CSS_SELECTOR, "select[name$='~u']")).select_by_value(unit)
    if reason is not None:
        r = box.find_element(By.CSS_SELECTOR, "input[data-reason]")
        r.clear()
        r.send_keys(reason)


def add_row(d, label):
    click(d, d.find_element(By.XPATH, "//button[text()=%s]" % json.dumps(label)))
    group = d.find_element(By.XPATH, "//button[text()=%s]/.." % json.dumps(label))
    return group.find_elements(By.CSS_SELECTOR, "ol.rows > li.row")[-1]


def settled(d, timeout=20):
    """Waits until every change has been saved and its answer shown."""
    WebDriverWait(d, timeout).until(lambda d: d.execute_script(
        "var s = document.getElementById('status').textContent; return s.indexOf('Saved') === 0 || s.indexOf('Not saved') === 0;"))
    time.sleep(0.4)
    WebDriverWait(d, timeout).until(lambda d: d.execute_script(
        "var s = document.getElementById('status').textContent; return s.indexOf('Saved') === 0 || s.indexOf('Not saved') === 0;"))


def text(d, element_id):
    return d.find_element(By.ID, element_id).get_attribute("textContent")


def click(d, el):
    # Into the middle of the window first: the save bar sticks to the bottom.
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()


def fetch(d, path):
    return d.execute_script(
        "var x = new XMLHttpRequest(); x.open('GET', arguments[0], false); x.send(); return [x.status, x.responseText];", path)


def new_case(d, accession, template):
    d.get(base + "/cases/new")
    fill(d, d, "Accession", accession)
    Select(d.find_element(By.ID, "template")).select_by_value(template)
    d.find_element(By.XPATH, "//button[text()='Open the draft']").click()
    WebDriverWait(d, 20).until(lambda d: "/cases/" in d.current_url and "new" not in d.current_url)


def browser_errors(d):
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"]


seed = json.loads(cli("convert", os.path.join(root, "Samples/forearm-ddlms.yaml")))
timings = []


def forearm(d):
    """Step 1 and 2: the forearm seed case, from a blank draft to signed and amended."""
    new_case(d, seed["accession"], "soft-tissue-resection")
    shot(d, "blank-draft")
    check("error" in text(d, "diagnostics"), "a blank draft shows no errors")
    check("not assigned" in text(d, "rules") or "Stage group" in text(d, "rules"), "no rules panel on a blank draft")
    p = seed["patient"]
    for label, value in [
        ("Report date", seed["reportDate"]), ("Patient name", p["name"]), ("Medical record number", p["mrn"]),
        ("Birth date", p["birthDate"]), ("Sex", p["sex"]), ("Ordering physician", seed["orderingPhysician"]),
        ("Order number", seed["orderNumber"]), ("Facility", seed["facility"]), ("Diagnosis", "\n".join(seed["diagnosis"])),
        ("Comment", seed["comment"]), ("Clinical history", seed["clinicalHistory"]),
    ]:
        fill(d, d, label, value)
    # Presurgical therapy first as chemotherapy: its treatment-effect item appears, and a warning about grading after therapy.
    fill(d, d, "Presurgical (neoadjuvant) therapy", "chemotherapy")
    qualified(d, d, "Treatment effect, viable tumour", "exact", "40")
    settled(d)
    blank_diagnostics = text(d, "diagnostics")
    check("ypT" in text(d, "rules"), "the rules do not take the therapy into account: " + text(d, "rules")[:200])
    shot(d, "therapy-given")
    fill(d, d, "Presurgical (neoadjuvant) therapy", seed["presurgicalTherapy"])
    settled(d)
    cleared = d.find_element(By.ID, "cleared")
    check(cleared.is_displayed() and "Treatment effect, viable tumour" in cleared.text,
          "changing the therapy did not clear the hidden treatment effect with a note")
    check("ypT" not in text(d, "rules"), "the rules still assume therapy")
    shot(d, "hidden-answer-cleared")

    prior = seed["priorSpecimens"][0]
    row = add_row(d, "Add accession")
    fill(d, row, "Accession", prior["accession"])
    fill(d, row, "Procedure", prior["procedure"])
    fill(d, row, "Diagnosis", prior["diagnosis"])
    s = seed["specimens"][0]
    row = add_row(d, "Add specimen")
    fill(d, row, "Specimen", s["id"])
    fill(d, row, "Procedure", s["procedure"])
    fill(d, row, "Procedure, other (specify)", s["procedureOther"])
    fill(d, row, "Site", s["site"])
    fill(d, row, "Laterality", s["laterality"])
    t = seed["tumor"]
    fill(d, d, "Tumour site", t["site"])
    fill(d, d, "AJCC site group", t["siteGroup"])
    fill(d, d, "Recurrent tumour", "true")
    fill(d, d, "Tumour depth", t["depth"])
    qualified(d, d, "Tumour size, greatest dimension", "exact", "6", "cm")
    fill(d, d, "Histologic type", t["histologicType"]["name"])
    fill(d, d, "Histologic type, ICD-O-3", t["histologicType"]["icdO3"])
    fill(d, d, "Pathological extent", "\n".join(t["extent"]))
    qualified(d, d, "Mitotic count", "nr")
    qualified(d, d, "Necrosis", "nr")
    settled(d)
    shot(d, "tumour-filled")
    check("GX" in text(d, "rules") and "stage not assigned" not in text(d, "rules"), "grade and stage did not appear: " + text(d, "rules")[:300])
    check(text(d, "diagnostics") != blank_diagnostics, "the errors and warnings did not change as the case was filled")
    for c in t["components"]:
        row = add_row(d, "Add component")
        fill(d, row, "Component", c["name"])
        fill(d, row, "Kind", c["kind"])
        fill(d, row, "Line of differentiation", c["differentiation"])
        if "histologicType" in c:
            fill(d, row, "Histologic type", c["histologicType"]["name"])
        fill(d, row, "Description", c["description"])
        qualified(d, row, "Grade stated by pathologist", "exact", str(c["grading"]["statedGrade"]))
    m = t["margins"][0]
    row = add_row(d, "Add margin")
    fill(d, row, "Margin", m["name"])
    fill(d, row, "Status", m["status"])
    qualified(d, row, "Distance", "nr")
    fill(d, d, "Regional lymph nodes", "not reported")
    for stain in seed["stains"]:
        row = add_row(d, "Add marker")
        fill(d, row, "Marker", stain["marker"])
        fill(d, row, "Result", stain["result"])
        if "intensity" in stain:
            fill(d, row, "Intensity", stain["intensity"])
        if "component" in stain:
            fill(d, row, "Component", stain["component"])
    settled(d)
    timings.extend(d.execute_script("return window.synopticTimings"))
    shot(d, "seed-filled")
    check("No errors" in text(d, "diagnostics"), "the filled seed case has errors: " + text(d, "diagnostics")[:300])
    check("at least G2" in text(d, "rules") and "IIIA" in text(d, "rules"), "the components' grades did not reach the grade and stage: " + text(d, "rules")[:300])
    accession = seed["accession"]
    link = "/cases/" + urllib.parse.quote(accession)
    expected_text = cli("render", os.path.join(root, "Samples/forearm-ddlms.yaml"), "--format", "text").decode()
    status, preview = fetch(d, link + "/preview?format=text")
    check(status == 200 and preview == expected_text, "the preview is not the seed's report as synoptic render gives it")
    status, exported = fetch(d, link + "/export")
    exported_path = os.path.join(work, "forearm-from-form.json")
    with open(exported_path, "w") as f:
        f.write(exported)
    status, preview_html = fetch(d, link + "/preview?format=html")
    check(preview_html == cli("render", exported_path, "--format", "html").decode(), "the HTML preview is not synoptic render's bytes")

    # Sign out: the password again, then a read-only report.
    fill(d, d, "Your password, to sign", PATHOLOGIST[1])
    d.find_element(By.XPATH, "//button[text()='Sign out']").click()
    WebDriverWait(d, 20).until(lambda d: "Signed: version 1" in d.page_source)
    shot(d, "signed")
    pdf = base64.b64decode(d.print_page())
    check(pdf.startswith(b"%PDF") and len(pdf) > 20000, "the signed report does not print (%d bytes of PDF)" % len(pdf))
    with open(os.path.join(shots, "signed-report.pdf"), "wb") as f:
        f.write(pdf)
    check(not d.find_elements(By.ID, "case-form"), "the signed report is still an editable form")
    history = json.loads(fetch(d, "/api/v1/reports/" + urllib.parse.quote(accession))[1])
    signed_at = history["versions"][0]["signedAt"]
    stored = fetch(d, link + "/versions/1?format=text")[1]
    env = dict(os.environ, SYNOPTIC_STORE=os.path.join(work, "cli-store.sqlite"), SYNOPTIC_STORE_KEY_FILE=os.path.join(work, "cli-store.key"))
    cli("signout", exported_path, "--pathologist", "ivale", "--at", signed_at, env=env)
    check(stored == cli("show", accession, "--format", "text", env=env).decode(),
          "the stored report differs from the command line's sign-out of the same case")

    # Amend: the changed item is listed before signing; the reason is required.
    d.find_element(By.XPATH, "//button[text()='Amend this report']").click()
    WebDriverWait(d, 20).until(lambda d: d.find_elements(By.ID, "case-form"))
    qualified(d, d, "Tumour size, greatest dimension", "exact", "6.5", "cm")
    settled(d)
    check("6.5 cm" in text(d, "changes"), "the amendment's changes are not listed: " + text(d, "changes"))
    shot(d, "amendment-changes")
    # Signed straight after a change: the page sends the change first, then signs.
    fill(d, d, "Tumour site", t["site"] + ", re-examined")
    fill(d, d, "Reason for the amendment", "Size re-measured on the fixed specimen")
    fill(d, d, "Your password, to sign", PATHOLOGIST[1])
    d.find_element(By.XPATH, "//button[text()='Sign the amendment']").click()
    WebDriverWait(d, 20).until(lambda d: "Signed: version 2" in d.page_source)
    check("6.5 cm" in d.find_element(By.CSS_SELECTOR, "table").text, "the history does not show the amended item")
    check("re-examined" in text(d, "report-text"), "a change made just before signing is not in the signed amendment")
    shot(d, "amended")
    check(not browser_errors(d), "the browser reported errors: %s" % browser_errors(d))


def keyboard_biopsy(d):
    """Step 3: a biopsy from a blank draft with the keyboard alone."""
    d.get(base + "/cases/new")
    body = d.find_element(By.TAG_NAME, "body")
    body.click()
    keys = ActionChains(d)

    def tab_to(label, limit=400):
        for _ in range(limit):
            ActionChains(d).send_keys(Keys.TAB).perform()
            name = d.execute_script(
                "var a = document.activeElement; if (!a || !a.id) { return ''; }"
                "var l = document.querySelector('label[for=\"' + CSS.escape(a.id) + '\"]');"
                "if (!l) { return a.getAttribute('aria-label') || a.textContent.trim(); }"
                "var t = ''; l.childNodes.forEach(function (n) { if (n.nodeType === 3) { t += n.nodeValue; } }); return t.trim();")
            if name == label:
                return d.switch_to.active_element
        raise AssertionError("Tab never reached %r" % label)

    def tab_to_button(text, limit=400):
        for _ in range(limit):
            ActionChains(d).send_keys(Keys.TAB).perform()
            a = d.switch_to.active_element
            if a.tag_name == "button" and a.text == text:
                return a
        raise AssertionError("Tab never reached the button %r" % text)

    def typed(label, value):
        tab_to(label)
        ActionChains(d).send_keys(value).perform()

    typed("Accession", "S26-00042")
    tab_to("Template")
    ActionChains(d).send_keys(Keys.ARROW_DOWN).perform()
    tab_to_button("Open the draft")
    ActionChains(d).send_keys(Keys.ENTER).perform()
    WebDriverWait(d, 20).until(lambda d: d.current_url.endswith("/cases/S26-00042"))
    d.find_element(By.TAG_NAME, "h1").click()
    typed("Diagnosis", "Right thigh, core needle biopsy: myxofibrosarcoma.")
    tab_to("Presurgical (neoadjuvant) therapy")
    ActionChains(d).send_keys("none").perform()
    tab_to_button("Add specimen")
    ActionChains(d).send_keys(Keys.ENTER).perform()
    # "Add" moves the focus into the new row's first field.
    ActionChains(d).send_keys("A").perform()
    tab_to("Procedure")
    ActionChains(d).send_keys("core").perform()
    typed("Tumour site", "Posterior thigh")
    typed("Histologic type", "myxofibrosarcoma")
    settled(d)
    shot(d, "keyboard-biopsy")
    check("Soft Tissue Sarcoma, Biopsy" in text(d, "preview-text"),
          "the keyboard-filled biopsy has no preview of the biopsy template: " + text(d, "preview-text")[:300])
    check(text(d, "completion").split(" of ")[0] == text(d, "completion").split(" of ")[1].split(" ")[0],
          "the keyboard-filled biopsy is not complete: " + text(d, "completion"))
    # Focus is visible where the keyboard is.
    tab_to("Tumour site")
    outline = d.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    check(outline not in ("", "none"), "the focused control shows no outline")


def conflict(d):
    """Step 4: one draft in two sessions."""
    new_case(d, "S26-00077", "soft-tissue-resection")
    other = browser()
    try:
        sign_in(other, *PATHOLOGIST)
        other.get(base + "/cases/S26-00077")
        fill(d, d, "Patient name", "Synthetic, First")
        settled(d)
        fill(other, other, "Patient name", "Synthetic, Second")
        settled(other)
        status = other.find_element(By.ID, "status")
        check("Not saved" in status.text and status.get_attribute("role") == "alert", "the second session was not told of the conflict: " + status.text)
        shot(other, "conflict")
        other.find_element(By.LINK_TEXT, "Reload the draft").click()
        WebDriverWait(other, 20).until(lambda o: text(o, "status").startswith("Revision"))
        check(control(other, other, "Patient name").get_attribute("value") == "Synthetic, First", "reloading did not show the saved draft")
    finally:
        other.quit()


def hostile(d):
    """Step 5: markup in every free-text field stays text, in the form, the preview and the signed report."""
    accession = "S26-00099"
    source = open(os.path.join(root, "Samples/forearm-ddlms.yaml")).read().replace(seed["accession"], accession)
    d.get(base + "/cases/new")
    d.execute_script("document.getElementById('source').value = arguments[0]", source)
    click(d, d.find_element(By.XPATH, "//button[text()='Open the draft']"))
    WebDriverWait(d, 20).until(lambda d: d.current_url.endswith("/cases/" + accession))
    payloads = ["<script>window.__xss = 1</script>", "\"><img src=x onerror=\"window.__xss = 2\">"]
    # Every free-text field but the names that tie stains to components, and codes the model checks.
    def free(el):
        name = el.get_attribute("name")
        return (el.is_displayed() and not el.get_attribute("readonly") and not name.endswith("icdO3")
                and not (name.startswith("tumor.components.") and name.endswith(".name")) and not name.endswith(".component"))
    boxes = [el for el in d.find_elements(By.CSS_SELECTOR, ".kind-text input, .kind-long-text textarea, .kind-lines textarea") if free(el)]
    before = {}
    for k, el in enumerate(boxes):
        before[el.get_attribute("id")] = el.get_attribute("value")
        el.send_keys(payloads[k % 2])
    settled(d)
    # A field whose value the model checks (a code, a list of lengths) takes its own value back.
    for el in d.find_elements(By.CSS_SELECTOR, "[aria-invalid=true]"):
        if el.get_attribute("id") in before:
            el.clear()
            el.send_keys(before[el.get_attribute("id")])
    settled(d)
    check("No errors" in text(d, "diagnostics"), "the hostile case has errors: " + text(d, "diagnostics")[:300])
    check(len(boxes) > 20, "only %d free-text fields were found" % len(boxes))
    d.get(base + "/cases/" + accession)
    shot(d, "hostile-text")

    def inert(where):
        check(d.execute_script("return window.__xss") is None, "markup ran in " + where)
        check(not d.find_elements(By.CSS_SELECTOR, "img[src=x]"), "markup became an element in " + where)

    inert("the form")
    check(payloads[0] in text(d, "preview-text"), "the text preview does not show the markup as text")
    d.switch_to.frame(d.find_element(By.ID, "preview-html"))
    inert("the HTML preview")
    check(not d.find_elements(By.TAG_NAME, "script"), "the HTML preview holds a script element")
    check(payloads[0] in d.find_element(By.TAG_NAME, "body").text, "the HTML preview does not show the markup as text")
    d.switch_to.default_content()
    fill(d, d, "Your password, to sign", PATHOLOGIST[1])
    click(d, d.find_element(By.XPATH, "//button[text()='Sign out']"))
    WebDriverWait(d, 20).until(lambda d: "Signed: version 1" in d.page_source)
    inert("the signed report page")
    check(payloads[1] in text(d, "report-text"), "the signed report does not show the markup as text")
    d.get(base + "/cases/" + accession + "/versions/1?format=html")
    inert("the signed HTML report")
    shot(d, "hostile-signed-report")


def without_script(_):
    """Step 7: with script switched off the same page saves by a plain post, rows included."""
    options = Options()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"]:
        options.add_argument(a)
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    d = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    try:
        sign_in(d, *PATHOLOGIST)
        d.get(base + "/cases/S26-00077")
        revision = d.find_element(By.CSS_SELECTOR, "#case-form input[name=revision]").get_attribute("value")
        fill(d, d, "Tumour site", "Thigh")
        blank = d.find_element(By.CSS_SELECTOR, "[data-group=specimens] li.row[data-blank]")
        fill(d, blank, "Specimen", "A")
        fill(d, blank, "Procedure", "wide-resection")
        click(d, d.find_element(By.XPATH, "//button[text()='Save the draft']"))
        WebDriverWait(d, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, "#case-form input[name=revision]").get_attribute("value") != revision)
        check(control(d, d, "Tumour site").get_attribute("value") == "Thigh", "a plain post did not keep the answer")
        rows = d.find_elements(By.CSS_SELECTOR, "[data-group=specimens] li.row:not([data-blank])")
        check(len(rows) == 1, "a plain post did not add the specimen row")
        check("Stage group" in text(d, "rules"), "the rules are not shown without script")
        shot(d, "without-script")
    finally:
        d.quit()


def keep_pages(d):
    """The pages as the server sent them, for the Nu HTML checker (check-browser.sh runs it)."""
    folder = os.path.join(shots, "pages")
    os.makedirs(folder, exist_ok=True)
    d.get(base + "/cases/S26-00077")  # a workspace page: its policy lets it fetch from its own origin
    for name, path in [("worklist", "/"), ("new-case", "/cases/new"), ("draft", "/cases/S26-00077"),
                       ("amendment-history", "/cases/" + urllib.parse.quote(seed["accession"]))]:
        status, html = fetch(d, path)
        check(status == 200, "%s answered %s" % (path, status))
        with open(os.path.join(folder, name + ".html"), "w") as f:
            f.write(html)


def accessibility(d):
    """Step 6: axe-core where PyPI has it, and our own checks."""
    d.get(base + "/cases/S26-00077")
    unlabelled = d.execute_script("""
        var out = [];
        document.querySelectorAll('input:not([type=hidden]), select, textarea, button').forEach(function (c) {
          if (c.closest('[hidden]') || c.closest('template')) { return; }
          var named = c.getAttribute('aria-label') || (c.id && document.querySelector('label[for="' + CSS.escape(c.id) + '"]'))
            || c.closest('label') || (c.tagName === 'BUTTON' && c.textContent.trim());
          if (!named) { out.push(c.name || c.id || c.outerHTML.slice(0, 60)); }
        });
        return out;""")
    check(not unlabelled, "controls without a label: %s" % unlabelled)
    summary = d.find_element(By.ID, "summary")
    check(summary.get_attribute("role") == "status" and "error" in summary.text, "the errors are not announced: " + summary.text)
    try:
        import axe_core_python
        source = open(os.path.join(os.path.dirname(axe_core_python.__file__), "axe.min.js")).read()
    except ImportError:
        print("workspace: axe-core is not installed; only our own accessibility checks ran", file=sys.stderr)
        return
    d.execute_script(source)
    result = d.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}}).then(function (r) { done({passes: r.passes.length,"
        " violations: r.violations.map(function (v) {"
        " return v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(', '); })}); });")
    check(result["passes"] > 10 and not result["violations"], "axe-core found: %s" % result["violations"])
    print("workspace: axe-core %s, WCAG 2 A and AA: %d rules pass, %d violations"
          % (d.execute_script("return axe.version"), result["passes"], len(result["violations"])))


d = browser()
try:
    sign_in(d, *PATHOLOGIST)
    for part in (forearm, keyboard_biopsy, conflict, hostile, without_script, keep_pages, accessibility):
        try:
            part(d)
        except Exception as e:  # one part failing still lets the others run
            failures.append("%s: %s" % (part.__name__, str(e).splitlines()[0] if str(e) else type(e).__name__))
            shot(d, part.__name__ + "-failed")
finally:
    d.quit()

if timings:
    print("workspace: %d live updates while filling the forearm case: median %.0f ms, 95th percentile %.0f ms, max %.0f ms"
          % (len(timings), statistics.median(timings), sorted(timings)[int(len(timings) * 0.95) - 1], max(timings)))
if failures:
    print("workspace: " + "; ".join(failures), file=sys.stderr)
    sys.exit(1)
print("workspace: forearm filled by label from a blank draft, previewed, signed, printed and amended; biopsy by keyboard; conflict;"
      " markup inert; plain posts without script; accessible")
