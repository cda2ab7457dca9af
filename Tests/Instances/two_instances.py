"""Two `synoptic serve` instances on one PostgreSQL database, driven over HTTP.

  two_instances.py URL_A URL_B PID_A TOKEN SAMPLES_DIR WORK_DIR
  (the password of account ivale in the environment, IVALE_PASSWORD)

1. Every sample is signed out through both instances at the same moment:
   each accession gets one version 1 and one 409.
2. Amendments of one version raced through both: one becomes version 2, the
   other is a 409.
3. A draft saved over the same revision through both at once: one 200, one
   409. A browser session started on A is honoured by B, and a logout
   through B ends it on A.
4. Sign-outs stream through instance A with several clients while A is
   killed with SIGKILL: every sign-out A answered with success is stored
   (read back through B), and B goes on signing.
Writes WORK_DIR/answered.json (the accessions whose sign-out succeeded) for
the shell script's later checks (verify, deliveries).
"""
import html
import json
import os
import re
import pathlib
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

url_a, url_b, pid_a, token, samples, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], pathlib.Path(sys.argv[5]), pathlib.Path(sys.argv[6])
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)


def post(base, path, body, content_type="application/yaml"):
    request = urllib.request.Request(base + path, data=body, method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        return None, str(e).encode()


def get(base, path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def at_once(calls):
    """Runs each call on its own thread, released together; returns their results in order."""
    results = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i, call):
        gate.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def accession_of(text):
    for line in text.splitlines():
        if line.startswith("accession:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("no accession line")


# 1. The same case through both instances at once.
cases = sorted(p for p in samples.glob("*.yaml"))
signed = []
for case in cases:
    body = case.read_bytes()
    accession = accession_of(body.decode())
    results = at_once([lambda: post(url_a, "/api/v1/reports", body), lambda: post(url_b, "/api/v1/reports", body)])
    codes = sorted(code for code, _ in results)
    check(codes == [201, 409], f"{accession}: sign-out through both instances gave {codes}, expected one 201 and one 409")
    status, history = get(url_b, f"/api/v1/reports/{accession}")
    check(status == 200 and [v["version"] for v in history["versions"]] == [1], f"{accession}: history after the race: {status} {history}")
    signed.append(accession)
print(f"race: {len(signed)} accessions, each signed once through two instances", flush=True)

# 2. Racing amendments of the same version.
forearm = (samples / "forearm-ddlms.yaml").read_bytes()
corrected = forearm.replace(b"greatest: 6 cm", b"greatest: 6.5 cm")
check(corrected != forearm, "the forearm sample no longer has 'greatest: 6 cm' to amend")
results = at_once([
    lambda: post(url_a, "/api/v1/reports/S21-03310/amendments?reason=size%20re-measured%20(A)", corrected),
    lambda: post(url_b, "/api/v1/reports/S21-03310/amendments?reason=size%20re-measured%20(B)", corrected),
])
codes = sorted(code for code, _ in results)
check(codes == [201, 409] or codes == [200, 409], f"racing amendments gave {codes}, expected one success and one 409")
status, history = get(url_a, "/api/v1/reports/S21-03310")
check([v["version"] for v in history["versions"]] == [1, 2], f"after racing amendments: {history}")
print("amendments: one winner, one 409", flush=True)

# 3. Drafts and browser sessions are the store's, not an instance's.
draft = forearm.replace(b"accession: S21-03310", b"accession: D26-00001")


def put_draft(base, body, revision=None):
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/yaml"}
    if revision:
        headers["If-Match"] = f'"{revision}"'
    request = urllib.request.Request(base + "/api/v1/drafts/D26-00001", data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


check(put_draft(url_a, draft) == 201, "a new draft through A")
codes = sorted(at_once([lambda: put_draft(url_a, draft.replace(b"6 cm", b"7 cm"), 1),
                        lambda: put_draft(url_b, draft.replace(b"6 cm", b"8 cm"), 1)]))
check(codes == [200, 409], f"a draft saved over revision 1 through both instances gave {codes}, expected one 200 and one 409")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


browser = urllib.request.build_opener(NoRedirect)


def page(base, path, cookie=None, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(base + path, data=data, headers={"Cookie": cookie} if cookie else {})
    try:
        with browser.open(request, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


status, headers, _ = page(url_a, "/login", form={"username": "ivale", "password": os.environ["IVALE_PASSWORD"]})
cookie = (headers.get("Set-Cookie") or "").split(";")[0]
check(status == 303 and cookie, f"signing in on A: {status}")
status, _, body = page(url_b, "/", cookie)
check(status == 200 and "D26-00001" in body, f"B does not honour A's session: {status}")
csrf = re.search(r'name="csrf" value="([^"]+)"', body)
check(csrf is not None, "no CSRF token on B's worklist")
if csrf:
    status, _, _ = page(url_b, "/logout", cookie, {"csrf": html.unescape(csrf.group(1))})
    check(status == 303, f"logout through B: {status}")
    status, headers, _ = page(url_a, "/", cookie)
    check(status in (302, 303) and "/login" in (headers.get("Location") or ""), f"A still honours a session ended through B: {status}")
print("drafts and sessions: one revision wins across instances; a session from A works on B and ends everywhere", flush=True)

# 3b. A refusal is audited in the shared store from the request's own instance:
# an auditor may not render case content, and the instance answers 403 and goes on.
status, headers, _ = page(url_a, "/login", form={"username": "audra", "password": os.environ["AUDITOR_PASSWORD"]})
auditor = (headers.get("Set-Cookie") or "").split(";")[0]
check(status == 303 and auditor, f"the auditor signing in on A: {status}")
status, _, body = page(url_a, "/", auditor)
auditor_csrf = re.search(r'name="csrf" value="([^"]+)"', body)
check(auditor_csrf is not None, f"no CSRF token on the auditor's page: {status}")
if auditor_csrf:
    refused = urllib.request.Request(url_a + "/api/v1/render?format=text", data=forearm, method="POST", headers={
        "Cookie": auditor, "X-CSRF-Token": html.unescape(auditor_csrf.group(1)), "Content-Type": "application/yaml"})
    try:
        with urllib.request.urlopen(refused, timeout=30) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        status = f"no answer ({e})"
    check(status == 403, f"an auditor's render through A: {status}, not 403")
    check(get(url_a, "/health")[0] == 200, "A stopped answering after refusing an auditor")
print("refusals: an auditor's render is refused with 403 and audited; the instance goes on", flush=True)

# 4. Sign-outs streaming through A while A is killed.
answered, cut, lock = [], [], threading.Lock()
stop = threading.Event()
counter = iter(range(1, 100000))
counter_lock = threading.Lock()


def client():
    while not stop.is_set():
        with counter_lock:
            n = next(counter)
        accession = f"K26-{n:05d}"
        body = forearm.replace(b"accession: S21-03310", f"accession: {accession}".encode())
        code, _ = post(url_a, "/api/v1/reports", body)
        if code == 201:
            with lock:
                answered.append(accession)
        elif code is None:
            with lock:
                cut.append(accession)  # in flight when the instance died
            return


clients = [threading.Thread(target=client) for _ in range(6)]
for t in clients:
    t.start()
deadline = time.time() + 60
while time.time() < deadline:
    with lock:
        if len(answered) >= 20:
            break
    time.sleep(0.01)
os.kill(pid_a, signal.SIGKILL)
stop.set()
for t in clients:
    t.join()
check(len(answered) >= 20, f"only {len(answered)} sign-outs answered before the kill")
check(len(cut) >= 1, "no sign-out was in flight when A was killed")
lost = [a for a in answered if get(url_b, f"/api/v1/reports/{a}")[0] != 200]
check(not lost, f"sign-outs answered by A but not stored: {lost}")
print(f"kill: A answered {len(answered)} sign-outs, {len(cut)} were in flight at SIGKILL; every answered one is stored and readable through B", flush=True)

after = forearm.replace(b"accession: S21-03310", b"accession: K26-99999")
code, _ = post(url_b, "/api/v1/reports", after)
check(code == 201, f"B could not sign out after A was killed: {code}")
answered.append("K26-99999")

(work / "answered.json").write_text(json.dumps({"race": signed, "streamed": answered}))
if failures:
    print(f"two-instances: {len(failures)} failure(s)")
    sys.exit(1)
print("two-instances: all checks passed")
