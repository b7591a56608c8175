#!/usr/bin/env bash
# The performance bench of issue #4 ("Fast at every size"). One command:
#
#     bench/run.sh            # full bench, about 6-10 minutes on 2 cores
#     QUICK=1 bench/run.sh    # fewer runs and no 1 GiB / 64 MB cases, for a smoke test
#
# It installs what it needs when missing (apt-get install -y nginx hyperfine curl minisign time),
# builds the release binary, generates its data under bench/work/ (gitignored; kept between
# runs, delete it to regenerate), starts its own nginx on 127.0.0.1 (killed by PID on exit),
# and prints a markdown table of medians. Network: 127.0.0.1 only.
#
# Cases (optimus always with its defaults: --jobs 8; the baseline with xargs -P 8):
#   cold     16 plugins x 16 MiB random-bytes tar.gz, empty cache, lock present
#            vs curl + sha256sum + tar -xzf over the same URLs
#   warm     the same lock into a fresh project, cache filled by the cold run
#   no-op    install of 100 plugins that are all installed and match the lock
#   lock     200 plugins x 100 versions x 4 platforms over http (cold index cache, and
#            revalidated with If-None-Match after a first lock)
#   rss      peak RSS (/usr/bin/time -v) of a cold install of one 1 GiB artifact
#   sweep    the cold install at 1, 4, 16, 64 MiB per artifact (16 artifacts), vs the baseline
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
W=$ROOT/bench/work
QUICK=${QUICK:-}
JOBS=8

# --- tools -----------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v curl >/dev/null || missing+=(curl)
command -v minisign >/dev/null || missing+=(minisign)
[ -x /usr/bin/time ] || missing+=(time)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y "${missing[@]}" >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y "${missing[@]}" >&2; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

echo "building the release binary..." >&2
cargo build --release --locked -q
OPT=$ROOT/target/release/optimus

# --- data --------------------------------------------------------------------------------------
mkdir -p "$W/www" "$W/keys"
chmod 755 "$W" "$W/www"
if [ ! -f "$W/keys/bench.sec" ]; then
  minisign -G -W -p "$W/keys/bench.pub" -s "$W/keys/bench.sec" -f >/dev/null
fi
export MINISIGN_KEY=$W/keys/bench.sec
PUB=$(sed -n 2p "$W/keys/bench.pub")
SIZES="1 4 16 64"
[ -n "$QUICK" ] && SIZES="1 4 16"
echo "generating data under bench/work (first run only)..." >&2
for mb in $SIZES; do python3 bench/gen.py artifacts "$W/www/s$mb" 16 "$mb"; done
python3 bench/gen.py artifacts "$W/www/noop" 100 0.004
python3 bench/gen.py index "$W/www/idx" 200 100
[ -z "$QUICK" ] && python3 bench/gen.py artifacts "$W/www/big" 1 1024
chmod -R a+rX "$W/www"

# --- nginx -------------------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NG=$W/nginx
rm -rf "$NG"; mkdir -p "$NG/logs" "$NG/tmp"
cat >"$NG/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $NG/nginx.pid;
error_log $NG/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log $NG/logs/access.log;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000;
  default_type application/octet-stream;
  types { }
  client_body_temp_path $NG/tmp/body;
  proxy_temp_path $NG/tmp/proxy;
  fastcgi_temp_path $NG/tmp/fastcgi;
  uwsgi_temp_path $NG/tmp/uwsgi;
  scgi_temp_path $NG/tmp/scgi;
  server {
    listen 127.0.0.1:$PORT;
    root $W/www;
  }
}
CONF
"$NGINX" -e "$NG/logs/error.log" -c "$NG/nginx.conf" -p "$NG" &
NGINX_PID=$!
cleanup() { kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/idx/config.toml" >/dev/null && break; sleep 0.1; done
BASE=http://127.0.0.1:$PORT
requests() { wc -l <"$NG/logs/access.log"; }

# --- projects ----------------------------------------------------------------------------------
rm -rf "$W/proj" "$W/cache" "$W/out"
mkdir -p "$W/proj" "$W/cache" "$W/out" "$W/json"
# project NAME SET N: optimus.yaml declaring N plugins of registry SET.
project() {
  local dir=$W/proj/$1 set=$2 n=$3 prefix=${4:-b} fmt=${5:-%02d}
  mkdir -p "$dir"
  {
    echo "plugins:"
    echo "  providers:"
    echo "    - name: bench"
    echo "      type: registry"
    echo "      url: $BASE/$set/"
    echo "      public_keys: [\"$PUB\"]"
    echo "  plugins:"
    for i in $(seq 0 $((n - 1))); do
      printf "    - name: $prefix$fmt\n      provider: bench\n      version: \"*\"\n" "$i"
    done
  } >"$dir/optimus.yaml"
}
opt() { "$OPT" -q plugin "$@"; }

RUNS_COLD=5; RUNS_FAST=20
[ -n "$QUICK" ] && { RUNS_COLD=2; RUNS_FAST=5; }
# median SECONDS from a hyperfine json: median FILE INDEX
median() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"; }
# mean CPU (user + sys) in ms: the honest number when other jobs share the machine
cpu() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print("%.0f ms" % ((r["user"]+r["system"])*1000))' "$1" "$2"; }

# --- cold installs vs baseline (the sweep; 16 MiB is the headline) ------------------------------
declare -A COLD BASEL
for mb in $SIZES; do
  project "cold$mb" "s$mb" 16
  export OPTIMUS_CACHE_DIR=$W/cache/cold$mb
  opt lock -c "$W/proj/cold$mb/optimus.yaml" >/dev/null
  runs=$RUNS_COLD; [ "$mb" = 64 ] && runs=3
  echo "cold install, 16 x $mb MiB ($runs runs each)..." >&2
  hyperfine -r "$runs" --style none --export-json "$W/json/cold$mb.json" \
    -n "optimus" --prepare "rm -rf '$W/cache/cold$mb' '$W/proj/cold$mb/.plugins'" \
    "'$OPT' -q plugin install -c '$W/proj/cold$mb/optimus.yaml'" \
    -n "baseline" --prepare "rm -rf '$W/out/base$mb'" \
    "sh '$ROOT/bench/baseline.sh' '$W/www/s$mb/urls.txt' '$BASE/s$mb' '$W/out/base$mb' $JOBS" >&2
  COLD[$mb]=$(median "$W/json/cold$mb.json" 0)
  BASEL[$mb]=$(median "$W/json/cold$mb.json" 1)
  # Same bytes installed as the baseline extracted?
  for f in "$W"/out/base"$mb"/out/b00/*; do cmp -s "$f" "$W/proj/cold$mb/.plugins/$(basename "$f")" || { echo "MISMATCH $f" >&2; exit 1; }; done
  [ "$mb" = 16 ] || rm -rf "$W/out/base$mb" "$W/cache/cold$mb" "$W/proj/cold$mb/.plugins"
done

# --- warm cache into a fresh project ----------------------------------------------------------
echo "warm install into a fresh project..." >&2
export OPTIMUS_CACHE_DIR=$W/cache/cold16
mkdir -p "$W/proj/warm"
cp "$W/proj/cold16/optimus.yaml" "$W/proj/cold16/optimus.lock" "$W/proj/warm/"
r0=$(requests)
hyperfine -N -w 1 -r "$RUNS_FAST" --style none --export-json "$W/json/warm.json" \
  --prepare "rm -rf $W/proj/warm/.plugins" \
  "$OPT -q plugin install -c $W/proj/warm/optimus.yaml" >&2
WARM=$(median "$W/json/warm.json" 0)
WARM_REQ=$(($(requests) - r0))
WARM_SUMMARY=$(opt install -c "$W/proj/warm/optimus.yaml" 2>&1 || true)
rm -rf "$W/proj/warm/.plugins"
WARM_LINKS=$("$OPT" plugin install -c "$W/proj/warm/optimus.yaml" 2>&1 | tail -1)

# --- no-op of 100 -------------------------------------------------------------------------------
echo "no-op install of 100 plugins..." >&2
project noop noop 100
export OPTIMUS_CACHE_DIR=$W/cache/noop
opt install -c "$W/proj/noop/optimus.yaml" >/dev/null
r0=$(requests)
hyperfine -N -w 3 -r $((RUNS_FAST * 2)) --style none --export-json "$W/json/noop.json" \
  "$OPT -q plugin install -c $W/proj/noop/optimus.yaml" >&2
NOOP=$(median "$W/json/noop.json" 0)
NOOP_REQ=$(($(requests) - r0))
NOOP_SUMMARY=$("$OPT" plugin install -c "$W/proj/noop/optimus.yaml" 2>&1 | tail -1)

# --- lock of 200 x 100 x 4 ----------------------------------------------------------------------
echo "lock of 200 plugins x 100 versions x 4 platforms..." >&2
project lock idx 200 p %03d
export OPTIMUS_CACHE_DIR=$W/cache/lock
hyperfine -r "$RUNS_COLD" --style none --export-json "$W/json/lock.json" \
  -n "lock, cold cache" --prepare "rm -rf '$W/cache/lock' '$W/proj/lock/optimus.lock'" \
  "'$OPT' -q plugin lock -c '$W/proj/lock/optimus.yaml'" \
  -n "lock, revalidated (304)" --prepare "rm -f '$W/proj/lock/optimus.lock'" \
  "'$OPT' -q plugin lock -c '$W/proj/lock/optimus.yaml'" >&2
LOCK_COLD=$(median "$W/json/lock.json" 0)
LOCK_304=$(median "$W/json/lock.json" 1)
LOCKED=$(grep -c '^\[\[plugin\]\]' "$W/proj/lock/optimus.lock")

# --- peak RSS, one 1 GiB artifact ---------------------------------------------------------------
RSS=n/a RSS_WALL=n/a
if [ -z "$QUICK" ]; then
  echo "peak RSS installing one 1 GiB artifact..." >&2
  project big big 1
  export OPTIMUS_CACHE_DIR=$W/cache/big
  opt lock -c "$W/proj/big/optimus.yaml" >/dev/null
  best=0
  for _ in 1 2; do
    rm -rf "$W/cache/big" "$W/proj/big/.plugins"
    /usr/bin/time -v "$OPT" -q plugin install -c "$W/proj/big/optimus.yaml" >/dev/null 2>"$W/json/time.txt"
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/json/time.txt")
    RSS_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$W/json/time.txt")
    ((kb > best)) && best=$kb
  done
  RSS=$((best / 1024))
  rm -rf "$W/cache/big" "$W/proj/big/.plugins"
fi

# --- report -------------------------------------------------------------------------------------
ms() { python3 -c "print(f'{float(\"$1\")*1000:.1f} ms')"; }
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}x')"; }
cat <<EOF

## optimus-plugins bench — $(date -u +%Y-%m-%d) — $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)

Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on the machine make wall times noisy; CPU is user+sys).

| case | optimus (median) | optimus CPU | comparison | ratio | target |
|---|---|---|---|---|---|
| cold install 16 x 16 MiB tar.gz | $(ms "${COLD[16]}") | $(cpu "$W/json/cold16.json" 0) | shell baseline $(ms "${BASEL[16]}") (CPU $(cpu "$W/json/cold16.json" 1)) | $(ratio "${COLD[16]}" "${BASEL[16]}") | <= 1.0x baseline |
| warm cache, fresh project (16 x 16 MiB) | $(ms "$WARM") | $(cpu "$W/json/warm.json" 0) | cold $(ms "${COLD[16]}") | $(ratio "$WARM" "${COLD[16]}") | <= 0.1x cold |
| no-op install, 100 plugins | $(ms "$NOOP") | $(cpu "$W/json/noop.json" 0) | | | <= 30 ms |
| lock 200 plugins x 100 versions x 4 platforms, cold cache | $(ms "$LOCK_COLD") | $(cpu "$W/json/lock.json" 0) | | | <= 1 s |
| lock, same, indexes revalidated (304) | $(ms "$LOCK_304") | $(cpu "$W/json/lock.json" 1) | | | |
| peak RSS, one 1 GiB artifact | ${RSS} MB (wall $RSS_WALL) | | | | <= 64 MB |

Requests to nginx: warm installs ${WARM_REQ} (over all runs), no-op installs ${NOOP_REQ} (over all runs); lock wrote ${LOCKED} plugins.
Warm summary: \`${WARM_LINKS}\`. No-op summary: \`${NOOP_SUMMARY}\`.

### Cold install vs size (16 artifacts each)

| MiB per artifact | total MiB | optimus | baseline | ratio | optimus ms per MiB |
|---|---|---|---|---|---|
EOF
for mb in $SIZES; do
  echo "| $mb | $((mb * 16)) | $(ms "${COLD[$mb]}") | $(ms "${BASEL[$mb]}") | $(ratio "${COLD[$mb]}" "${BASEL[$mb]}") | $(python3 -c "print(f'{float(\"${COLD[$mb]}\")*1000/($mb*16):.2f}')") |"
done

# Keep the generated registries (bench/work/www) for the next run; drop installs and caches.
rm -rf "$W/out" "$W/cache" "$W/proj"
