#!/usr/bin/env bash
# The store under sign-outs through the API (issue: outgrow one machine), in one run:
#   1. throughput: sign-outs per second (POST /api/v1/reports, a new accession
#      each, CONNECTIONS connections for DURATION seconds) with SQLite, one
#      instance on PostgreSQL, and two instances on one PostgreSQL database
#      (one wrk per instance, at the same time, requests/s summed);
#   2. latency: sign-out, history (GET /api/v1/reports/{accession}) and the
#      signed-in worklist page (GET /, the 200 newest entries) p50/p99
#      with one connection for LATENCY_DURATION seconds, on an empty store and after FILL (default 100,000)
#      more versions were written into it, for each engine.
# The FILL versions are written by SQL in one transaction: real rows in every
# table a sign-out and a history touch (a version, its six outputs, its audit
# row, its ledger entry and its worklist row), with one-byte stand-ins for the case, document
# and output bytes (100,000 real versions are 8 GB on PostgreSQL and 38 GB on
# SQLite). Sizes of indexes, not of blobs, are what a sign-out and a history
# pay for. The filled store does not verify (its stand-in rows have no hashes).
# The fill's own after-effects (a WAL checkpoint; on PostgreSQL, vacuuming and
# analysing 900,000 new rows) are settled before measuring, as they long are
# in a store that grew over months.
#
# Everything shares this machine's cores: the instances, PostgreSQL and wrk.
# Ends with
#   store sqlite_rps=A pg1_rps=B pg2_rps=C signout_p99_ratio_sqlite=D signout_p99_ratio_pg=E
#         history_p99_ratio_sqlite=F history_p99_ratio_pg=G worklist_p99_ratio_sqlite=H worklist_p99_ratio_pg=I
# where a ratio is p99 with FILL versions over p99 on the empty store.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
connections="${CONNECTIONS:-8}"
duration="${DURATION:-10}"
latency_duration="${LATENCY_DURATION:-20}"
fill="${FILL:-100000}"
command -v wrk >/dev/null || { echo "store.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
command -v psql >/dev/null || { echo "store.sh: needs psql (apt-get install postgresql)" >&2; exit 2; }
if [ -n "${SYNOPTIC_BIN:-}" ]; then
  bin="$SYNOPTIC_BIN"
else
  (cd "$root" && swift build -c release --product synoptic >/dev/null)
  bin="$root/.build/release/synoptic"
fi

work="$(mktemp -d)"
chmod 755 "$work"
pids=()
cluster=""
databases=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in "${databases[@]}"; do psql_admin -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  [ -n "$cluster" ] && "$root/Scripts/postgres-cluster.sh" stop "$cluster" || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ -z "${SYNOPTIC_TEST_POSTGRES:-}" ]; then
  cluster="$work/pg"
  SYNOPTIC_TEST_POSTGRES=$("$root/Scripts/postgres-cluster.sh" start "$cluster" "$(free_port)")
  export SYNOPTIC_STORE_PASSWORD_FILE="$cluster/password"
fi
base="$SYNOPTIC_TEST_POSTGRES"
hostport=${base#postgres://*@}; hostport=${hostport%%/*}
pguser=${base#postgres://}; pguser=${pguser%%@*}
export PGPASSWORD="${PGPASSWORD:-$(cat "$SYNOPTIC_STORE_PASSWORD_FILE")}"
psql_admin() { psql -h "${hostport%%:*}" -p "${hostport##*:}" -U "$pguser" -d postgres "$@"; }
psql_db() { local db="$1"; shift; psql -h "${hostport%%:*}" -p "${hostport##*:}" -U "$pguser" -d "$db" "$@"; }
new_database() {
  local name="synoptic_bench_$1_$$"
  psql_admin -qc "CREATE DATABASE $name" >/dev/null
  databases+=("$name")
  echo "$name"
}

export SYNOPTIC_STORE_KEY_FILE="$work/store.key"
sed 's/^accession: S21-03310$/accession: ACCESSION/' "$root/Samples/forearm-ddlms.yaml" >"$work/case.yaml"
grep -q '^accession: ACCESSION$' "$work/case.yaml" || { echo "store.sh: the forearm sample has no accession line to vary" >&2; exit 2; }

# Each wrk script ends with the same report: one RESULT line the shell reads.
cat >"$work/done.lua" <<'EOF'
function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50=%.2f p99=%.2f requests=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF
cat >"$work/signout.lua" <<'EOF'
-- A new accession for every request: RUN-THREAD-COUNTER.
local counter, prefix, body_template, token = 0, "", nil, nil
local threads = {}
function setup(thread)
  thread:set("prefix", string.char(65 + #threads))
  table.insert(threads, thread)
end
function init(args)
  local f = assert(io.open(args[1], "rb")); body_template = f:read("*a"); f:close()
  token = args[2]; run = args[3]
end
function request()
  counter = counter + 1
  local accession = string.format("%s-%s-%07d", run, prefix, counter)
  local body = body_template:gsub("ACCESSION", accession)
  return wrk.format("POST", "/api/v1/reports", { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/yaml" }, body)
end
EOF
cat >"$work/history.lua" <<'EOF'
function init(args) token = args[1]; accession = args[2] end
function request()
  return wrk.format("GET", "/api/v1/reports/" .. accession, { ["Authorization"] = "Bearer " .. token })
end
EOF
cat >"$work/worklist.lua" <<'EOF'
function init(args) cookie = args[1] end
function request() return wrk.format("GET", "/", { ["Cookie"] = cookie }) end
EOF
for script in signout history worklist; do cat "$work/done.lua" >>"$work/$script.lua"; done

# instance NAME STORE -> starts `serve`, sets $port
instance() {
  port=$(free_port)
  SYNOPTIC_STORE="$2" SYNOPTIC_STORE_ANCHOR="$work/$1.anchor" "$bin" serve --port "$port" --log-level warning >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && return 0; sleep 0.1; done
  cat "$work/$1.log" >&2; exit 1
}
token_for() { SYNOPTIC_STORE="$1" "$bin" token create --name "bench-$RANDOM$RANDOM" --role pathologist --pathologist ivale | tail -1; }
# result LINE FIELD
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
# signouts PORT TOKEN RUN CONNECTIONS [SECONDS] -> RESULT line (refuses a run with failures)
signouts() {
  local out
  out=$(wrk -t1 -c"$4" -d"${5:-$duration}s" --timeout 10s -s "$work/signout.lua" "http://127.0.0.1:$1" -- "$work/case.yaml" "$2" "$3" | grep '^RESULT')
  [ "$(field "$out" non2xx)" = 0 ] && [ "$(field "$out" errors)" = 0 ] || { echo "store.sh: sign-outs failed: $out" >&2; exit 1; }
  echo "$out"
}
# history PORT TOKEN ACCESSION -> RESULT line: one report's history
history() { one_client history "$@"; }
# worklist PORT COOKIE -> RESULT line: the signed-in home page (the worklist, 200 entries at most)
worklist() { one_client worklist "$@"; }
# one_client SCRIPT PORT ARGS... -> RESULT line of one connection for LATENCY_DURATION (refuses a run with failures)
one_client() {
  local script="$1" port="$2" out
  shift 2
  out=$(wrk -t1 -c1 -d"${latency_duration}s" -s "$work/$script.lua" "http://127.0.0.1:$port" -- "$@" | grep '^RESULT')
  [ "$(field "$out" non2xx)" = 0 ] || { echo "store.sh: $script failed: $out" >&2; exit 1; }
  echo "$out"
}
# sign_in STORE PORT -> a session cookie for a pathologist account made now
sign_in() {
  local password="bench-$RANDOM-$RANDOM-password" name="bench$RANDOM"
  printf '%s\n' "$password" | SYNOPTIC_STORE="$1" "$bin" user add "$name" --role pathologist --pathologist ivale --password-stdin >/dev/null
  curl -s -o /dev/null -D - --data-urlencode "username=$name" --data-urlencode "password=$password" "http://127.0.0.1:$2/login" \
    | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1
}
report() { printf '%-44s %8s/s  p50 %7s ms  p99 %7s ms\n' "$1" "$(field "$2" rps)" "$(field "$2" p50)" "$(field "$2" p99)"; }

fill_sqlite() {
  python3 - "$1" "$fill" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=60)
n = int(sys.argv[2])
acc = lambda i: f"FILL-{i:07d}"
with db:
    (head,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM ledger").fetchone()
    db.executemany("INSERT INTO report_version VALUES (?, 1, 'final', '2025-01-01T00:00:00.000Z', 'ivale', NULL, 'soft-tissue-resection', '1.3.0', x'00', 'fill', x'00', 'fill', '', ?, 'fill')",
                   ((acc(i), f"fill-{i}") for i in range(1, n + 1)))
    db.executemany("INSERT INTO report_latest VALUES (?, 1, 'final', '2025-01-01T00:00:00.000Z', 'ivale', 'soft-tissue-resection', '1.3.0', ?, ?)",
                   ((acc(i), f"Fill, Patient {i}", f"fill, patient {i}") for i in range(1, n + 1)))
    db.executemany("INSERT INTO report_output VALUES (?, 1, ?, x'00', 'fill')",
                   ((acc(i), f) for i in range(1, n + 1) for f in ("cda", "fhir", "hl7", "html", "text", "xml")))
    db.executemany("INSERT INTO audit_log (at, actor, action, accession, version, outcome, command) VALUES ('2025-01-01T00:00:00.000Z', 'ivale', 'signout', ?, 1, 'ok', 'fill')",
                   ((acc(i),) for i in range(1, n + 1)))
    db.executemany("INSERT INTO ledger (seq, kind, accession, version, entry_hash, chain_hash, seal) VALUES (?, 'version', ?, 1, 'fill', 'fill', 'fill')",
                   ((head + i, acc(i)) for i in range(1, n + 1)))
db.execute("ANALYZE")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
EOF
}
fill_postgres() {
  psql_db "$1" -q -o /dev/null -v ON_ERROR_STOP=1 <<EOF
BEGIN;
SELECT pg_advisory_xact_lock(1398361679);
INSERT INTO report_version SELECT 'FILL-' || lpad(n::text, 7, '0'), 1, 'final', '2025-01-01T00:00:00.000Z', 'ivale', NULL,
  'soft-tissue-resection', '1.3.0', '\x00', 'fill', '\x00', 'fill', '', 'fill-' || n, 'fill' FROM generate_series(1, $fill) n;
INSERT INTO report_latest SELECT 'FILL-' || lpad(n::text, 7, '0'), 1, 'final', '2025-01-01T00:00:00.000Z', 'ivale',
  'soft-tissue-resection', '1.3.0', 'Fill, Patient ' || n, 'fill, patient ' || n FROM generate_series(1, $fill) n;
INSERT INTO report_output SELECT 'FILL-' || lpad(n::text, 7, '0'), 1, f, '\x00', 'fill'
  FROM generate_series(1, $fill) n, unnest(ARRAY['cda', 'fhir', 'hl7', 'html', 'text', 'xml']) f;
INSERT INTO audit_log (at, actor, action, accession, version, outcome, command)
  SELECT '2025-01-01T00:00:00.000Z', 'ivale', 'signout', 'FILL-' || lpad(n::text, 7, '0'), 1, 'ok', 'fill' FROM generate_series(1, $fill) n;
INSERT INTO ledger (seq, kind, accession, version, entry_hash, chain_hash, seal)
  SELECT (SELECT COALESCE(MAX(seq), 0) FROM ledger) + n, 'version', 'FILL-' || lpad(n::text, 7, '0'), 1, 'fill', 'fill', 'fill'
  FROM generate_series(1, $fill) n;
COMMIT;
CHECKPOINT;
VACUUM ANALYZE;
EOF
}

# latency ENGINE STORE FILLER -> prints, sets $lat_signout_ratio and $lat_history_ratio
latency() {
  instance "lat-$1" "$2"
  local token; token=$(token_for "$2")
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/yaml" \
    --data-binary @<(sed 's/ACCESSION/HIST-1/' "$work/case.yaml") "http://127.0.0.1:$port/api/v1/reports"
  local s0 h0 w0 s1 h1 w1 cookie
  cookie=$(sign_in "$2" "$port")
  [ -n "$cookie" ] || { echo "store.sh: could not sign in for the worklist" >&2; exit 1; }
  s0=$(signouts "$port" "$token" "E$1" 1 "$latency_duration"); report "$1 sign-out, empty store" "$s0"
  h0=$(history "$port" "$token" HIST-1); report "$1 history, empty store" "$h0"
  w0=$(worklist "$port" "$cookie"); report "$1 worklist, empty store" "$w0"
  local t0=$SECONDS
  "$3" "$4"
  echo "  ($1: $fill versions written in $((SECONDS - t0)) s)"
  s1=$(signouts "$port" "$token" "F$1" 1 "$latency_duration"); report "$1 sign-out, +$fill versions" "$s1"
  h1=$(history "$port" "$token" HIST-1); report "$1 history, +$fill versions" "$h1"
  w1=$(worklist "$port" "$cookie"); report "$1 worklist, +$fill versions" "$w1"
  lat_signout_ratio=$(python3 -c "print(round($(field "$s1" p99) / $(field "$s0" p99), 2))")
  lat_history_ratio=$(python3 -c "print(round($(field "$h1" p99) / $(field "$h0" p99), 2))")
  lat_worklist_ratio=$(python3 -c "print(round($(field "$w1" p99) / $(field "$w0" p99), 2))")
  echo "  $1 p99 with $fill versions over empty: sign-out ${lat_signout_ratio}x, history ${lat_history_ratio}x, worklist ${lat_worklist_ratio}x"
}

echo "== throughput: $connections connections, ${duration} s, a new accession per request"
sqlite_store="$work/sqlite/store.sqlite"
instance tp-sqlite "$sqlite_store"
r=$(signouts "$port" "$(token_for "$sqlite_store")" S "$connections"); report "SQLite, one instance" "$r"
sqlite_rps=$(field "$r" rps)

db=$(new_database tp1); pg1="${base%/*}/$db"
instance tp-pg1 "$pg1"
r=$(signouts "$port" "$(token_for "$pg1")" P "$connections"); report "PostgreSQL, one instance" "$r"
pg1_rps=$(field "$r" rps)

db=$(new_database tp2); pg2="${base%/*}/$db"
instance tp-pg2a "$pg2"; port_a=$port
instance tp-pg2b "$pg2"; port_b=$port
token=$(token_for "$pg2")
half=$(( (connections + 1) / 2 ))
signouts "$port_a" "$token" A "$half" >"$work/a.result" &
wa=$!
signouts "$port_b" "$token" B "$half" >"$work/b.result" &
wb=$!
wait "$wa" "$wb"
ra=$(cat "$work/a.result"); rb=$(cat "$work/b.result")
report "PostgreSQL, instance 1 of 2" "$ra"
report "PostgreSQL, instance 2 of 2" "$rb"
pg2_rps=$(python3 -c "print(round($(field "$ra" rps) + $(field "$rb" rps), 1))")
echo "PostgreSQL, two instances together: $pg2_rps/s"
SYNOPTIC_STORE="$pg2" SYNOPTIC_STORE_ANCHOR="$work/tp-pg2a.anchor" "$bin" verify >/dev/null || { echo "store.sh: the two-instance store does not verify" >&2; exit 1; }
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
pids=()

echo "== latency: one connection, ${latency_duration} s each, empty store then +$fill versions"
latency sqlite "$work/sqlite-lat/store.sqlite" fill_sqlite "$work/sqlite-lat/store.sqlite"
sqlite_signout_ratio=$lat_signout_ratio; sqlite_history_ratio=$lat_history_ratio; sqlite_worklist_ratio=$lat_worklist_ratio
db=$(new_database lat)
latency postgres "${base%/*}/$db" fill_postgres "$db"
pg_signout_ratio=$lat_signout_ratio; pg_history_ratio=$lat_history_ratio; pg_worklist_ratio=$lat_worklist_ratio

echo "store sqlite_rps=$sqlite_rps pg1_rps=$pg1_rps pg2_rps=$pg2_rps signout_p99_ratio_sqlite=$sqlite_signout_ratio signout_p99_ratio_pg=$pg_signout_ratio history_p99_ratio_sqlite=$sqlite_history_ratio history_p99_ratio_pg=$pg_history_ratio worklist_p99_ratio_sqlite=$sqlite_worklist_ratio worklist_p99_ratio_pg=$pg_worklist_ratio"
