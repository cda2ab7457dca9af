#!/usr/bin/env bash
# `synoptic serve` against a Python service doing the same work
# (peers/serve_app.py: a bare ASGI app over peers/pipeline.py, on uvicorn
# with uvloop and httptools), measured with wrk in one run:
#   - each server pinned to core 0, wrk pinned to core 1;
#   - POST /api/v1/render?format=text and POST /api/v1/derive with one sample
#     case as JSON (CASE, default Samples/neck-synovial-sarcoma.yaml) and a
#     bearer token, CONNECTIONS (default 16) connections for DURATION seconds
#     (default 15) after a 3-second warm-up;
#   - before timing, both servers' render answers must be byte-identical, or
#     the script stops (the peer is a yardstick, kept up to date for the case
#     it is measured on).
# Prints requests/s and p50/p99 latency for each, and ends with
#   serve vs_python=X rps=Y p99_ms=Z
# for render: X our requests/s over the peer's, Y ours, Z our p99 in ms.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
case_file="${CASE:-$root/Samples/neck-synovial-sarcoma.yaml}"
connections="${CONNECTIONS:-16}"
duration="${DURATION:-15}"
command -v wrk >/dev/null || { echo "compare-serve: needs wrk (apt-get install wrk)" >&2; exit 2; }

venv="${VENV_DIR:-$root/.build-venv}/serve-peer"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import uvicorn, uvloop, httptools, jinja2, lxml, yaml' 2>/dev/null \
  || "$venv/bin/pip" install --quiet 'uvicorn[standard]==0.38.0' 'Jinja2==3.1.6' 'lxml==6.1.3' 'PyYAML==6.0.3'
if [ -n "${SYNOPTIC_BIN:-}" ]; then
  bin="$SYNOPTIC_BIN"
else
  (cd "$root" && swift build -c release --product synoptic >/dev/null)
  bin="$root/.build/release/synoptic"
fi

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
pin0=(); pin1=()
command -v taskset >/dev/null && { pin0=(taskset -c 0); pin1=(taskset -c 1); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

export SYNOPTIC_STORE="$work/store.sqlite" SYNOPTIC_STORE_KEY_FILE="$work/store.key"
ours_token=$("$bin" token create --name bench --role interface | tail -1)
peer_token="peer-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
"$bin" convert "$case_file" -o "$work/case.json"

ours_port=$(free_port)
"${pin0[@]}" "$bin" serve --port "$ours_port" --log-level warning --templates "$root/Templates" >"$work/ours.log" 2>&1 &
pids+=($!)
peer_port=$(free_port)
SYNOPTIC_TEMPLATES="$root/Templates" PEER_TOKEN="$peer_token" "${pin0[@]}" "$venv/bin/uvicorn" serve_app:app \
  --app-dir "$here/peers" --host 127.0.0.1 --port "$peer_port" --loop uvloop --http httptools \
  --no-access-log --log-level warning >"$work/peer.log" 2>&1 &
pids+=($!)
for port in "$ours_port" "$peer_port"; do
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

post() {  # post PORT TOKEN PATH OUT -> HTTP status
  curl -s -o "$4" -w '%{http_code}' -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    --data-binary @"$work/case.json" "http://127.0.0.1:$1$3"
}
[ "$(post "$ours_port" "$ours_token" /api/v1/render?format=text "$work/ours.txt")" = 200 ] || { echo "compare-serve: ours did not render" >&2; exit 1; }
[ "$(post "$peer_port" "$peer_token" /api/v1/render?format=text "$work/peer.txt")" = 200 ] || { echo "compare-serve: the peer did not render" >&2; cat "$work/peer.txt" "$work/peer.log" >&2; exit 1; }
if ! cmp -s "$work/ours.txt" "$work/peer.txt"; then
  echo "compare-serve: the two renders of $(basename "$case_file") differ; bring peers/pipeline.py up to date first:" >&2
  diff "$work/ours.txt" "$work/peer.txt" | head -20 >&2
  exit 1
fi
[ "$(post "$ours_port" "$ours_token" /api/v1/derive "$work/ours.json")" = 200 ] || { echo "compare-serve: ours did not derive" >&2; exit 1; }
[ "$(post "$peer_port" "$peer_token" /api/v1/derive "$work/peer.json")" = 200 ] || { echo "compare-serve: the peer did not derive" >&2; exit 1; }
echo "compare-serve: both render $(basename "$case_file") to the same $(wc -c <"$work/ours.txt") bytes"

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
LUA

# measure NAME PORT TOKEN PATH -> "rps p50_ms p99_ms"
measure() {
  local url="http://127.0.0.1:$2$4"
  BENCH_TOKEN="$3" BENCH_BODY="$work/case.json" "${pin1[@]}" wrk -t1 -c"$connections" -d3s -s "$work/post.lua" "$url" >/dev/null
  BENCH_TOKEN="$3" BENCH_BODY="$work/case.json" "${pin1[@]}" wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$work/post.lua" "$url" >"$work/$1.wrk"
  if grep -q "Non-2xx" "$work/$1.wrk"; then echo "compare-serve: $1 answered errors under load" >&2; cat "$work/$1.wrk" >&2; exit 1; fi
  python3 - "$work/$1.wrk" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(\w+)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
print(f"{rps:.0f} {p50:.2f} {p99:.2f}")
PY
}

printf '%-28s %10s %9s %9s\n' "server endpoint" "req/s" "p50 ms" "p99 ms"
declare -A result
for endpoint in "render:/api/v1/render?format=text" "derive:/api/v1/derive"; do
  name="${endpoint%%:*}"
  path="${endpoint#*:}"
  result[ours-$name]=$(measure "ours-$name" "$ours_port" "$ours_token" "$path")
  result[peer-$name]=$(measure "peer-$name" "$peer_port" "$peer_token" "$path")
  read -r r50 r99 <<<"$(echo "${result[ours-$name]}" | cut -d' ' -f2-)"
  printf '%-28s %10s %9s %9s\n' "synoptic $name" ${result[ours-$name]}
  printf '%-28s %10s %9s %9s\n' "python (uvicorn) $name" ${result[peer-$name]}
done
read -r ours_rps _ ours_p99 <<<"${result[ours-render]}"
read -r peer_rps _ peer_p99 <<<"${result[peer-render]}"
read -r ours_drps _ _ <<<"${result[ours-derive]}"
read -r peer_drps _ _ <<<"${result[peer-derive]}"
echo "derive vs_python=$(python3 -c "print(f'{$ours_drps / $peer_drps:.1f}')")"
echo "serve vs_python=$(python3 -c "print(f'{$ours_rps / $peer_rps:.1f}')") rps=$ours_rps p99_ms=$ours_p99"
