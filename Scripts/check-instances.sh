#!/usr/bin/env bash
# Two `synoptic serve` instances on one PostgreSQL database (issue: outgrow one
# machine). Both sign out, amend, save drafts, share browser sessions and
# deliver to one MLLP receiver (the `hl7` package); one is killed with SIGKILL
# mid-sign-out. Afterwards nothing
# answered is lost, every version is delivered, no message is sent twice
# except the one the killed instance may have had on the wire, and
# `synoptic verify` passes with either instance's anchor.
#
# Uses SYNOPTIC_TEST_POSTGRES (and SYNOPTIC_STORE_PASSWORD_FILE) when set,
# else starts a private cluster with Scripts/postgres-cluster.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
bin="$root/${SYNOPTIC_BIN:-.build/debug/synoptic}"
venvs="$root/${VENV_DIR:-.build-venv}"
if [ ! -x "$venvs/mllp/bin/python" ]; then python3 -m venv "$venvs/mllp"; fi
"$venvs/mllp/bin/python" -c 'import hl7.mllp' 2>/dev/null || "$venvs/mllp/bin/pip" install --quiet 'hl7==0.4.5'

work="$(mktemp -d)"
chmod 755 "$work"
pids=()
cluster=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${db:-}" ]; then psql_admin -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  if [ -n "$cluster" ]; then "$root/Scripts/postgres-cluster.sh" stop "$cluster" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fail() {
  echo "check-instances: $*" >&2
  for log in "$work"/a.log "$work"/b.log; do [ -f "$log" ] && { echo "--- $log (last lines)" >&2; tail -n 15 "$log" >&2; }; done
  "$bin" outbox 2>&1 | grep -v delivered | head -n 10 >&2 || true
  exit 1
}

if [ -z "${SYNOPTIC_TEST_POSTGRES:-}" ]; then
  cluster="$work/pg"
  SYNOPTIC_TEST_POSTGRES=$("$root/Scripts/postgres-cluster.sh" start "$cluster" "$(free_port)")
  export SYNOPTIC_STORE_PASSWORD_FILE="$cluster/password"
fi
base="$SYNOPTIC_TEST_POSTGRES"
psql_admin() {
  local hostport=${base#postgres://*@}; hostport=${hostport%%/*}
  local user=${base#postgres://}; user=${user%%@*}
  PGPASSWORD="${PGPASSWORD:-$(cat "${SYNOPTIC_STORE_PASSWORD_FILE}")}" psql -h "${hostport%%:*}" -p "${hostport##*:}" -U "$user" -d postgres "$@"
}
db="synoptic_instances_$$"
psql_admin -qc "CREATE DATABASE $db" >/dev/null
store="${base%/*}/$db"
echo "check-instances: store ${store}"

mllp_port=$(free_port)
"$venvs/mllp/bin/python" "$root/Tests/Receivers/mllp_receiver.py" "$mllp_port" "$work/mllp.jsonl" AA >"$work/mllp.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$work/mllp.log" 2>/dev/null && break; sleep 0.1; done
touch "$work/mllp.jsonl"
sed "s|^hl7v2:|delivery:\n  - {name: engine, kind: mllp, host: 127.0.0.1, port: $mllp_port, formats: [hl7], ackTimeoutSeconds: 5, maxAttempts: 5, retrySeconds: 0.2}\nhl7v2:|" \
  "$root/Samples/sites/demo-hospital.yaml" >"$work/site.yaml"
export SYNOPTIC_SITE="$work/site.yaml" SYNOPTIC_STORE="$store" SYNOPTIC_STORE_KEY_FILE="$work/store.key"
token=$("$bin" token create --name lis --role pathologist --pathologist ivale | tail -1)
export IVALE_PASSWORD="instances-$RANDOM-$RANDOM-check"
printf '%s\n' "$IVALE_PASSWORD" | "$bin" user add ivale --role pathologist --pathologist ivale --password-stdin >/dev/null
export AUDITOR_PASSWORD="instances-$RANDOM-$RANDOM-audit"
printf '%s\n' "$AUDITOR_PASSWORD" | "$bin" user add audra --role auditor --password-stdin >/dev/null

# start NAME PORT: an instance with its own anchor, as on its own machine.
start() {
  SYNOPTIC_STORE_ANCHOR="$work/$1.anchor" "$bin" serve --port "$2" --delivery-interval 0.2 >>"$work/$1.log" 2>&1 &
  pids+=($!)
  last=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$2/ready" >/dev/null && return 0; sleep 0.1; done
  cat "$work/$1.log" >&2
  fail "instance $1 did not become ready"
}
port_a=$(free_port); port_b=$(free_port)
start a "$port_a"; pid_a=$last
start b "$port_b"
python3 "$root/Tests/Instances/two_instances.py" "http://127.0.0.1:$port_a" "http://127.0.0.1:$port_b" "$pid_a" "$token" "$root/Samples" "$work" \
  || fail "the two-instance checks failed (logs: $work/a.log, $work/b.log)"

# A comes back on the same database and serves at once.
start a "$port_a"
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port_a/api/v1/reports/K26-99999" >/dev/null || fail "restarted A cannot read what B signed"

# Every version is delivered (B and the restarted A share the outbox).
expected=$(python3 -c "import json; d=json.load(open('$work/answered.json')); print(len(d['race']) + 1 + len(d['streamed']))")
for _ in $(seq 1 300); do
  summary=$("$bin" outbox --format json | python3 -c "
import json, sys, collections
m = json.load(sys.stdin)['messages']
print(len(m), collections.Counter(x['status'] for x in m).get('delivered', 0))")
  read -r total delivered <<<"$summary"
  [ "$total" = "$delivered" ] && [ "$total" -ge "$expected" ] && break
  sleep 0.2
done
[ "$total" = "$delivered" ] || fail "outbox: $delivered of $total messages delivered"
[ "$total" -ge "$expected" ] || fail "outbox: $total messages, expected at least $expected (one per answered version)"
python3 - "$work/mllp.jsonl" "$total" <<'EOF' || fail "the receiver's messages do not match the outbox"
import collections, json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ids = collections.Counter(l["controlId"] for l in lines)
total = int(sys.argv[2])
# The message A had on the wire when it was killed (its delivery loop sends one
# at a time) is sent again after its claim lapses: at most one arrives twice.
twice = [i for i, n in ids.items() if n > 1]
assert len(ids) == total, f"{len(ids)} distinct messages received for {total} outbox messages"
assert len(twice) <= 1 and all(ids[i] == 2 for i in twice), f"sent more than once: {twice}"
print(f"check-instances: {len(lines)} HL7 messages received for {total} outbox messages ({len(twice)} resent after the kill)")
EOF

for who in a b; do
  SYNOPTIC_STORE_ANCHOR="$work/$who.anchor" "$bin" verify --store "$store" || fail "verify with instance $who's anchor"
done
echo "check-instances: passed"
