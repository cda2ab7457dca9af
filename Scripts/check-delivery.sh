#!/usr/bin/env bash
# Delivery against receivers Synoptic did not write: an MLLP listener built on
# the `hl7` package (Tests/Receivers/mllp_receiver.py) and a FHIR Bundle
# endpoint validating with fhir.resources (Tests/Receivers/fhir_receiver.py),
# each scripted to answer well or badly. Every scenario checks the outbox's
# status and attempts, and that no message is lost or acknowledged twice.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(pwd)/${SYNOPTIC_BIN:-.build/debug/synoptic}"
venvs="$(pwd)/${VENV_DIR:-.build-venv}"
if [ ! -x "$venvs/mllp/bin/python" ]; then python3 -m venv "$venvs/mllp"; fi
"$venvs/mllp/bin/python" -c 'import hl7.mllp' 2>/dev/null || "$venvs/mllp/bin/pip" install --quiet 'hl7==0.4.5'
if [ ! -x "$venvs/fhir-r4/bin/python" ]; then python3 -m venv "$venvs/fhir-r4"; fi
"$venvs/fhir-r4/bin/python" -c 'import fhir.resources' 2>/dev/null || "$venvs/fhir-r4/bin/pip" install --quiet 'fhir.resources==6.4.0' 'pydantic<2'

root="$(pwd)"
work="$(mktemp -d)"
receivers=()
cleanup() { for p in "${receivers[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fail() { echo "check-delivery: $*" >&2; exit 1; }

# scenario NAME MLLP_MODES FHIR_MODES: a fresh store, site and receivers.
scenario() {
  name="$1"
  dir="$work/$name"
  mkdir -p "$dir"
  mllp_port=$(free_port)
  fhir_port=$(free_port)
  "$venvs/mllp/bin/python" "$root/Tests/Receivers/mllp_receiver.py" "$mllp_port" "$dir/mllp.jsonl" "$2" >"$dir/mllp.log" 2>&1 &
  receivers+=($!)
  "$venvs/fhir-r4/bin/python" "$root/Tests/Receivers/fhir_receiver.py" "$fhir_port" "$dir/fhir.jsonl" "$3" >"$dir/fhir.log" 2>&1 &
  receivers+=($!)
  for _ in $(seq 1 100); do grep -q listening "$dir/mllp.log" 2>/dev/null && grep -q listening "$dir/fhir.log" 2>/dev/null && break; sleep 0.1; done
  touch "$dir/mllp.jsonl" "$dir/fhir.jsonl"
  sed "s|^hl7v2:|delivery:\n  - {name: engine, kind: mllp, host: 127.0.0.1, port: $mllp_port, formats: [hl7], ackTimeoutSeconds: 2, maxAttempts: 3, retrySeconds: 0.05}\n  - {name: ehr, kind: fhir, baseURL: \"http://127.0.0.1:$fhir_port/fhir\", formats: [fhir], ackTimeoutSeconds: 5, maxAttempts: 3, retrySeconds: 0.05}\n  - {name: archive, kind: directory, path: $dir/archive, formats: [cda, text]}\nhl7v2:|" \
    "$root/Samples/sites/demo-hospital.yaml" >"$dir/site.yaml"
  export SYNOPTIC_SITE="$dir/site.yaml" SYNOPTIC_STORE="$dir/store.sqlite" SYNOPTIC_STORE_KEY_FILE="$dir/store.key"
  "$bin" signout "$root/Samples/forearm-ddlms.yaml" --pathologist ivale --at 2021-03-16T09:30:00Z >/dev/null
}

# status ID -> the outbox message's status and attempts, "delivered 1"
status() { "$bin" outbox --format json | python3 -c "import json,sys; m=[x for x in json.load(sys.stdin)['messages'] if x['id']==$1][0]; print(m['status'], m['attempts'])"; }
lines() { wc -l <"$1" | tr -d ' '; }
deliver_rounds() { for _ in $(seq 1 "$1"); do "$bin" deliver >/dev/null; sleep 0.3; done; }

echo "check-delivery: AA, then an amendment delivers a second message; FHIR 201; files dropped"
scenario accepted AA 201
"$bin" deliver >/dev/null
[ "$(status 1)" = "delivered 1" ] || fail "hl7 after AA: $(status 1)"
[ "$(status 2)" = "delivered 1" ] || fail "fhir after 201: $(status 2)"
[ "$(status 3)" = "delivered 1" ] && [ -f "$dir/archive/S21-03310-v1.cda.xml" ] && [ -f "$dir/archive/S21-03310-v1.txt" ] || fail "directory drop"
grep -q '"type": "document"' "$dir/fhir.jsonl" || fail "the FHIR receiver did not see a document Bundle"
sed 's/greatest: 6 cm/greatest: 6.5 cm/' "$root/Samples/forearm-ddlms.yaml" >"$dir/corrected.yaml"
"$bin" amend S21-03310 "$dir/corrected.yaml" --reason "Size re-measured" --pathologist ivale --at 2021-03-18T10:00:00Z >/dev/null
"$bin" deliver >/dev/null
[ "$(lines "$dir/mllp.jsonl")" = 2 ] || fail "expected 2 HL7 messages, got $(lines "$dir/mllp.jsonl")"
grep -q '"controlId": "SYN-S21-03310-2"' "$dir/mllp.jsonl" || fail "the amendment's message was not received"
"$bin" deliver >/dev/null
[ "$(lines "$dir/mllp.jsonl")" = 2 ] || fail "a delivered message was sent again"

echo "check-delivery: AE fails at once and is not retried; FHIR 400 fails with the OperationOutcome"
scenario refused AE 400
deliver_rounds 3
[ "$(status 1)" = "failed 1" ] || fail "hl7 after AE: $(status 1)"
[ "$(status 2)" = "failed 1" ] || fail "fhir after 400: $(status 2)"
"$bin" outbox --format json | grep -q "rejected by the test receiver" || fail "the OperationOutcome text is not kept"
[ "$(lines "$dir/mllp.jsonl")" = 1 ] || fail "an AE was retried"

echo "check-delivery: AR, a wrong MSA-2 and a 503 are retried with a new MSH-10, then delivered"
scenario retried AR,WRONGID,AA 503,201
deliver_rounds 4
[ "$(status 1)" = "delivered 3" ] || fail "hl7 after AR, wrong id, AA: $(status 1)"
[ "$(status 2)" = "delivered 2" ] || fail "fhir after 503, 201: $(status 2)"
python3 - "$dir/mllp.jsonl" <<'PY' || fail "resends did not get new control ids"
import json, sys
ids = [json.loads(l)["controlId"] for l in open(sys.argv[1])]
assert ids == ["SYN-S21-03310-1", "SYN-S21-03310-1-R1", "SYN-S21-03310-1-R2"], ids
PY

echo "check-delivery: no answer, and a dropped connection, until the attempts are used up: dead; retry puts it back"
scenario silent SILENT,DROP,DROP,AA 201
deliver_rounds 4
[ "$(status 1)" = "dead 3" ] || fail "hl7 after silence and drops: $(status 1)"
"$bin" outbox retry 1 >/dev/null
deliver_rounds 1
[ "$(status 1)" = "delivered 4" ] || fail "hl7 after retry: $(status 1)"

echo "check-delivery: a refused connection is retried, its error kept"
scenario refused-connection AA 201
kill "${receivers[-2]}"
wait "${receivers[-2]}" 2>/dev/null || true
"$bin" deliver >/dev/null
[ "$(status 1)" = "pending 1" ] || fail "hl7 with nothing listening: $(status 1)"
"$bin" outbox --format json | grep -q "cannot connect" || fail "the connection error is not kept"

echo "check-delivery: version 2 waits while version 1 is undelivered"
scenario ordered DROP,DROP,DROP,AA,AA 201
deliver_rounds 1
sed 's/greatest: 6 cm/greatest: 6.5 cm/' "$root/Samples/forearm-ddlms.yaml" >"$dir/corrected.yaml"
"$bin" amend S21-03310 "$dir/corrected.yaml" --reason "Size re-measured" --pathologist ivale --at 2021-03-18T10:00:00Z >/dev/null
deliver_rounds 3
[ "$(status 1)" = "dead 3" ] || fail "v1: $(status 1)"
[ "$(status 5)" = "pending 0" ] || fail "v2 was sent before v1 was delivered: $(status 5)"
"$bin" outbox retry 1 >/dev/null
deliver_rounds 2
[ "$(status 1)" = "delivered 4" ] && [ "$(status 5)" = "delivered 1" ] || fail "after retry: v1 $(status 1), v2 $(status 5)"
python3 - "$dir/mllp.jsonl" <<'PY' || fail "messages arrived out of order"
import json, sys
ids = [json.loads(l)["controlId"] for l in open(sys.argv[1])]
assert ids[-1] == "SYN-S21-03310-2" and all(i.startswith("SYN-S21-03310-1") for i in ids[:-1]), ids
PY

echo "check-delivery: kill -9 of deliver mid-send leaves the message pending, then it is delivered"
scenario killed SILENT,AA 201
"$bin" deliver >/dev/null 2>&1 &
deliverer=$!
for _ in $(seq 1 50); do [ "$(lines "$dir/mllp.jsonl")" -ge 1 ] && break; sleep 0.1; done
kill -9 "$deliverer"
wait "$deliverer" 2>/dev/null || true
[ "$(status 1 | cut -d' ' -f1)" = pending ] || fail "after kill -9: $(status 1)"
"$bin" verify >/dev/null || fail "the store does not verify after kill -9"
# The claim lapses 10 s after the acknowledgement timeout (2 s); a new deliverer then sends it.
"$bin" deliver >/dev/null
[ "$(status 1)" = "pending 0" ] || fail "a claimed message was sent before its claim lapsed: $(status 1)"
sleep 12.5
"$bin" deliver >/dev/null
[ "$(status 1)" = "delivered 1" ] || fail "after the lease lapsed: $(status 1)"
echo "check-delivery: every scenario passed"
