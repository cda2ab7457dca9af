#!/usr/bin/env bash
# Starts the real server on a scratch store and checks it from outside:
#   - every sample case satisfies the Case schema /openapi.json publishes;
#   - render over HTTP gives exactly the bytes 'synoptic render' writes, for
#     every sample and every format;
#   - schemathesis (PyPI) fuzzes every operation from /openapi.json for a
#     bounded time with a pathologist's token, failing on any 5xx and on any
#     response whose status, content type, headers or body the document does
#     not describe;
#   - SIGTERM stops the server cleanly and the store verifies afterwards.
# SCHEMATHESIS_SECONDS bounds the fuzzing (default 240).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${SYNOPTIC_BIN:-.build/debug/synoptic}"
venvs="${VENV_DIR:-.build-venv}"
seconds="${SCHEMATHESIS_SECONDS:-240}"
if [ ! -x "$venvs/api/bin/python" ]; then python3 -m venv "$venvs/api"; fi
"$venvs/api/bin/python" -c 'import schemathesis, jsonschema, yaml' 2>/dev/null \
  || "$venvs/api/bin/pip" install --quiet 'schemathesis==4.32.5' 'jsonschema==4.26.0' 'PyYAML==6.0.4'

work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export SYNOPTIC_STORE="$work/store.sqlite" SYNOPTIC_STORE_KEY_FILE="$work/store.key"
lis=$("$bin" token create --name lis --role interface | tail -1)
vale=$("$bin" token create --name dr-vale --role pathologist --pathologist ivale | tail -1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --port "$port" >"$work/server.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done
curl -sf "$base/ready" >/dev/null || { echo "check-serve: the server did not become ready" >&2; cat "$work/server.log" >&2; exit 1; }

echo "check-serve: every sample satisfies the published Case schema"
curl -sf "$base/openapi.json" -o "$work/openapi.json"
"$venvs/api/bin/python" Scripts/check-case-schema.py "$work/openapi.json" Samples/*.yaml Tests/Fixtures/*.yaml

echo "check-serve: render over HTTP against the command line"
n=0
for f in Samples/*.yaml; do
  for format in text html xml cda hl7 fhir; do
    "$bin" render "$f" --format "$format" >"$work/cli"
    curl -sf -H "Authorization: Bearer $lis" -H 'Content-Type: application/yaml' --data-binary @"$f" \
      "$base/api/v1/render?format=$format" -o "$work/http"
    cmp -s "$work/cli" "$work/http" || { echo "check-serve: $f $format differs between CLI and HTTP" >&2; exit 1; }
    n=$((n + 1))
  done
done
echo "check-serve: $n renders identical"

echo "check-serve: schemathesis for ${seconds}s"
# One worker: CPython 3.11's ast.parse is not safe across threads (it fails with
# "AST constructor recursion depth mismatch" inside hypothesis), which two
# workers hit now and then.
(cd "$work" && "$OLDPWD/$venvs/api/bin/schemathesis" run "$base/openapi.json" \
  -H "Authorization: Bearer $vale" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-time "$seconds" --seed 19 --workers 1 --no-color)

echo "check-serve: no patient identifier in the server's log"
for word in MRN "Test Person" S21-03310; do
  if grep -q "$word" "$work/server.log"; then echo "check-serve: the log names '$word'" >&2; exit 1; fi
done

echo "check-serve: SIGTERM during 24 concurrent sign-outs: every one acknowledged is stored, the server exits 0, the store verifies"
for i in $(seq 1 24); do
  sed "s/^accession: .*/accession: S26-TERM$i/" Samples/forearm-ddlms.yaml >"$work/term$i.yaml"
done
pids=()
for i in $(seq 1 24); do
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $vale" -H 'Content-Type: application/yaml' \
    --data-binary @"$work/term$i.yaml" "$base/api/v1/reports" >"$work/code$i" &
  pids+=($!)
done
sleep 0.05
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
for p in "${pids[@]}"; do wait "$p" || true; done
[ "$status" -eq 0 ] || { echo "check-serve: the server exited $status on SIGTERM" >&2; tail -5 "$work/server.log" >&2; exit 1; }
acknowledged=0
for i in $(seq 1 24); do
  code=$(cat "$work/code$i")
  case "$code" in
    201)
      acknowledged=$((acknowledged + 1))
      "$bin" history "S26-TERM$i" >/dev/null || { echo "check-serve: S26-TERM$i was acknowledged but is not stored" >&2; exit 1; } ;;
    000) ;;  # refused before it was accepted: nothing promised
    *) echo "check-serve: a sign-out during shutdown got $code" >&2; exit 1 ;;
  esac
done
echo "check-serve: $acknowledged of 24 sign-outs acknowledged before shutdown, each stored"
"$bin" verify
