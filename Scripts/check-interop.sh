#!/usr/bin/env bash
# Renders every sample (and the hostile-text fixture) in all six formats and
# checks them with independent validators:
#   XML  -> Schemas/synoptic-report-1.0.xsd (libxml2, via synoptic check-xml)
#   CDA  -> HL7 CDA.xsd from ../shared/schemas when present, and our APSR
#           Schematron (Schemas/apsr-synoptic.sch) always
#   HL7  -> hl7apy 1.3.5 STRICT + OBR-before-OBX + our NAACCR checks
#   FHIR -> fhir.resources 6.4.0 (FHIR 4.0.1) + our checks
# Exits non-zero on any invalid output.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${SYNOPTIC_BIN:-.build/debug/synoptic}"
venvs="${VENV_DIR:-.build-venv}"
if [ ! -x "$venvs/interop/bin/python" ]; then python3 -m venv "$venvs/interop"; fi
"$venvs/interop/bin/python" -c 'import hl7apy, lxml' 2>/dev/null || "$venvs/interop/bin/pip" install --quiet 'hl7apy==1.3.5' 'lxml==6.1.3'
if [ ! -x "$venvs/fhir-r4/bin/python" ]; then python3 -m venv "$venvs/fhir-r4"; fi
"$venvs/fhir-r4/bin/python" -c 'import fhir.resources' 2>/dev/null || "$venvs/fhir-r4/bin/pip" install --quiet 'fhir.resources==6.4.0' 'pydantic<2'

cda_xsd=../shared/schemas/cda/normative/infrastructure/cda/CDA.xsd
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for f in Samples/*.yaml Tests/Fixtures/hostile-text.yaml; do
  dir="$out/$(basename "$f" .yaml)"
  # A draft with errors still renders (exit 1); every file must exist either way.
  "$bin" render "$f" --format all -o "$dir" 2>/dev/null || true
  test "$(ls "$dir" | wc -l)" -eq 6 || { echo "check-interop: $f did not render six formats" >&2; exit 1; }
  for x in "$dir"/*.xml; do
    case "$x" in *.cda.xml) ;; *) "$bin" check-xml "$x" ;; esac
  done
  if [ -f "$cda_xsd" ]; then
    "$bin" check-xml "$dir"/*.cda.xml --schema cda --cda-schema "$cda_xsd"
  else
    echo "check-interop: CDA schema check skipped, $cda_xsd not present"
  fi
done
# A signed, amended and retracted report: every stored version through the same validators.
store="$out/store/store.sqlite"
export SYNOPTIC_STORE="$store" SYNOPTIC_STORE_KEY_FILE="$out/store/store.key"
"$bin" signout Samples/forearm-ddlms.yaml --pathologist ivale --at 2021-03-16T09:30:00Z >/dev/null
sed 's/greatest: 6 cm/greatest: 6.5 cm/' Samples/forearm-ddlms.yaml >"$out/corrected.yaml"
"$bin" amend S21-03310 "$out/corrected.yaml" --reason "Size re-measured" --pathologist rhale --at 2021-03-17T09:30:00Z >/dev/null
"$bin" addendum S21-03310 --text "Levels reviewed." --pathologist apath --at 2021-03-18T09:30:00Z >/dev/null
"$bin" retract S21-03310 --reason "Issued for the wrong patient" --pathologist ivale --at 2021-03-19T09:30:00Z >/dev/null
for v in 1 2 3 4; do
  dir="$out/stored-v$v"
  mkdir -p "$dir"
  for pair in text:txt html:html xml:xml cda:cda.xml hl7:hl7 fhir:fhir.json; do
    "$bin" show S21-03310 --version "$v" --format "${pair%%:*}" >"$dir/S21-03310.${pair#*:}"
  done
  "$bin" check-xml "$dir/S21-03310.xml"
  if [ -f "$cda_xsd" ]; then "$bin" check-xml "$dir/S21-03310.cda.xml" --schema cda --cda-schema "$cda_xsd"; fi
done
grep -q '|W|' "$out/stored-v4/S21-03310.hl7" || { echo "check-interop: the retracted HL7 v2 message has no W status" >&2; exit 1; }
unset SYNOPTIC_STORE SYNOPTIC_STORE_KEY_FILE
"$venvs/interop/bin/python" Scripts/validate_interop.py cda "$out"/*/*.cda.xml
# The Schematron is not a rubber stamp: a dangling narrative reference and a reused section code fail it.
sed 's/<reference value="#STR-023"\/>/<reference value="#NOPE"\/>/' "$out/forearm-ddlms/S21-03310.cda.xml" >"$out/broken-ref.xml"
sed '0,/code="22634-0"/s//code="22635-7"/' "$out/forearm-ddlms/S21-03310.cda.xml" >"$out/broken-code.xml"
for broken in "$out/broken-ref.xml" "$out/broken-code.xml"; do
  if "$venvs/interop/bin/python" Scripts/validate_interop.py cda "$broken" >/dev/null; then
    echo "check-interop: the APSR Schematron accepted $(basename "$broken")" >&2; exit 1
  fi
done
"$venvs/interop/bin/python" Scripts/validate_interop.py hl7 "$out"/*/*.hl7
"$venvs/fhir-r4/bin/python" Scripts/validate_interop.py fhir "$out"/*/*.fhir.json
