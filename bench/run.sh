#!/usr/bin/env bash
# The performance bench (issue #4 "Fast at every size", issue #13 "scale"). One command:
#
#     nice -n 10 bench/run.sh                 # full bench, ~10-20 min on 2 quiet cores (estimate)
#     QUICK=1 nice -n 10 bench/run.sh         # small sizes, few runs: a smoke test (4-8 min)
#     OPTIMUS_PLUGINS_BIN=/path/to/optimus-plugins bench/run.sh   # bench that binary instead of building one
#     BENCH_OUT=/tmp/before bench/run.sh      # write results.json and plot.png there
#                                             # (default: bench/, the committed ones)
#
# It installs what it needs when missing (apt-get: nginx hyperfine curl minisign time; PyPI:
# matplotlib in a venv under bench/work/venv for the plot), builds the release binary unless
# OPTIMUS_PLUGINS_BIN is given (cargo build --release --locked, honouring CARGO_TARGET_DIR), generates
# its data under bench/work/ (gitignored; kept between runs, delete it to regenerate), starts
# its own nginx on 127.0.0.1 (killed by PID on exit) and serves every case from it. Network:
# 127.0.0.1 only. Output: one markdown table on stdout (every figure beside its shell baseline,
# measured in the same run, and the target), bench/results.json (every median, CPU time and
# ratio) and bench/plot.png (time vs artifact size; time vs plugin count).
#
# Every figure is a hyperfine median (cold: 5 runs, 3 when a case moves >= 1 GiB; fast cases
# 20-40 runs; QUICK: 2 / 5-10), run right after its shell baseline, which hyperfine measures
# the same way in the same invocation, so machine load hits both. optimus always runs with its
# defaults (--jobs 8); the baselines use 8 parallel jobs too (xargs -P 8, curl --parallel-max 8).
#
# Cases and their shell baselines (bench/baseline.sh), and why each baseline is the honest one:
#   sweep    cold install (empty cache, lock present) of N artifacts of M MiB random-bytes
#            tar.gz: 16 x 1, 4, 16, 64 MiB; 4 x 256 MiB; 1 x 1 GiB (QUICK: 16 x 1, 4, 16 and
#            1 x 64 MiB). Baseline: per artifact `curl | sha256sum -c | tar -xzf` (xargs -P 8):
#            the same download, verification and extraction with standard tools. (It does not
#            verify index signatures; optimus does, and pays for it.)
#   warm     the 16 x 16 MiB lock into a fresh project, cache filled by the cold runs.
#            Baseline: the cold baseline with its downloads kept as a cache: sha256sum -c +
#            tar -xzf of the cached tarballs, no network. (optimus links from its cache of
#            unpacked files instead; that design choice is what the ratio shows.)
#   counts   projects of 10, 100 and 1,000 plugins (4 KiB artifacts each, one version):
#            cold / warm as above; no-op and lock below. The 1,000 case is the scale target.
#   no-op    install when everything is installed and matches the lock. Baseline: one `stat`
#            of every installed file compared with a manifest (path, size, mtime) written at
#            install time: the same check optimus makes (file present with the size and mtime
#            its receipt records), without rehashing. `sha256sum -c` would rehash every file,
#            which optimus deliberately does not do: it would flatter optimus, so it is not used.
#   lock     lock with an empty index cache over http; and the same lock revalidating its cached
#            indexes (If-None-Match, 304). Baseline: one curl GETting the same index/NAME.toml
#            and .minisig files, 8 at a time: the transfer every lock must make, with no
#            verification, parsing or resolution, i.e. a floor (ratios above 1x are expected;
#            the ratio says how much lock adds on top of moving its bytes).
#            Sets: 200 plugins x 100 versions x 4 platforms (the issue #4 target); a registry
#            of 2,000 plugins x 10 versions x 4 platforms with a project declaring all 2,000
#            (lock reads only the indexes of declared plugins, so a registry's size matters
#            only through what the project declares); the 10/100/1,000 projects.
#   rss      peak RSS (/usr/bin/time -v, worst of 2 runs) of a cold install of one 1 GiB
#            artifact (QUICK: 64 MiB). Baseline: peak RSS of the shell pipeline's largest
#            process (/usr/bin/time reports the largest waited-for descendant).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
W=$ROOT/bench/work
OUT=$(realpath -m "${BENCH_OUT:-$ROOT/bench}")
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
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
mkdir -p "$W" "$OUT"
PLOT_PY=$W/venv/bin/python
if ! "$PLOT_PY" -c 'import matplotlib' 2>/dev/null; then
  echo "installing matplotlib into bench/work/venv..." >&2
  { rm -rf "$W/venv" && python3 -m venv "$W/venv" && "$W/venv/bin/pip" install -q matplotlib >&2; } ||
    { echo "WARNING: could not install matplotlib; no plot will be made" >&2; PLOT_PY=; }
fi

if [ -n "${OPTIMUS_PLUGINS_BIN:-}" ]; then
  OPT=$(realpath "$OPTIMUS_PLUGINS_BIN")
  [ -x "$OPT" ] || { echo "OPTIMUS_PLUGINS_BIN=$OPTIMUS_PLUGINS_BIN is not an executable" >&2; exit 1; }
  echo "benching $OPT (OPTIMUS_PLUGINS_BIN; not building)" >&2
else
  echo "building the release binary..." >&2
  cargo build --release --locked -q
  OPT=$(realpath -m "${CARGO_TARGET_DIR:-target}")/release/optimus-plugins
fi

# --- data --------------------------------------------------------------------------------------
# SWEEP: MiB-per-artifact:artifact-count pairs; the last one (a single artifact) is the RSS case.
if [ -n "$QUICK" ]; then
  SWEEP="1:16 4:16 16:16 64:1"; COUNTS="10 100 1000"
  RUNS_COLD=2; RUNS_BIG=2; RUNS_FAST=5
else
  SWEEP="1:16 4:16 16:16 64:16 256:4 1024:1"; COUNTS="10 100 1000"
  RUNS_COLD=5; RUNS_BIG=3; RUNS_FAST=20
fi
REG_N=2000 REG_V=10
mkdir -p "$W/www" "$W/keys"
chmod 755 "$W" "$W/www"
if [ ! -f "$W/keys/bench.sec" ]; then
  minisign -G -W -p "$W/keys/bench.pub" -s "$W/keys/bench.sec" -f >/dev/null
fi
export MINISIGN_KEY=$W/keys/bench.sec
PUB=$(sed -n 2p "$W/keys/bench.pub")
echo "generating data under bench/work (first run only)..." >&2
for p in $SWEEP; do
  mb=${p%:*} n=${p#*:}
  python3 bench/gen.py artifacts "$W/www/s${mb}x$n" "$n" "$mb"
done
python3 bench/gen.py artifacts "$W/www/many" 1000 0.004
python3 bench/gen.py index "$W/www/idx" 200 100
python3 bench/gen.py index "$W/www/reg$REG_N" "$REG_N" "$REG_V"
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

# --- projects and helpers -----------------------------------------------------------------------
rm -rf "$W/proj" "$W/cache" "$W/out" "$W/json" "$W/lists"
mkdir -p "$W/proj" "$W/cache" "$W/out" "$W/json" "$W/lists"
# project NAME SET N [PREFIX FMT]: optimus.yaml declaring the first N plugins of registry SET.
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
# names FILE N PREFIX FMT: the first N plugin names, one a line (for the lock baseline).
names() { for i in $(seq 0 $(($2 - 1))); do printf "$3$4\n" "$i"; done >"$1"; }
opt() { "$OPT" -q "$@"; }
BL="sh '$ROOT/bench/baseline.sh'"
# hf ID RUNS WARMUP OPT_PREPARE OPT_CMD BASE_PREPARE BASE_CMD: hyperfine of optimus (command 0)
# and its shell baseline (command 1), no intermediate shell, into $W/json/ID.json.
hf() {
  echo "  $1: $2 runs each" >&2
  hyperfine -N -r "$2" -w "$3" --style none --export-json "$W/json/$1.json" \
    -n optimus --prepare "$4" "$5" -n baseline --prepare "$6" "$7" >/dev/null
}
# extra KEY VALUE: a figure that is not a hyperfine median (RSS, request counts, summaries).
extra() { printf '%s\t%s\n' "$1" "$2" >>"$W/json/extra.tsv"; }
extra quick "${QUICK:+1}"
extra optimus_bin "$OPT"
extra sweep "$SWEEP"
extra counts "$COUNTS"
extra reg "$REG_N $REG_V"
extra runs "cold $RUNS_COLD, >= 1 GiB $RUNS_BIG, fast $RUNS_FAST-$((RUNS_FAST * 2))"
extra load_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# --- size sweep: cold installs vs baseline (16 x 16 MiB is the headline) ------------------------
echo "size sweep (cold install)..." >&2
for p in $SWEEP; do
  mb=${p%:*} n=${p#*:} id=s${mb}x${p#*:}
  project "$id" "$id" "$n"
  export OPTIMUS_CACHE_DIR=$W/cache/$id
  opt lock -c "$W/proj/$id/optimus.yaml" >/dev/null
  runs=$RUNS_COLD; ((mb * n >= 1024)) && runs=$RUNS_BIG
  hf "sweep-$id" "$runs" 0 \
    "rm -rf '$W/cache/$id' '$W/proj/$id/.plugins'" "'$OPT' -q install -c '$W/proj/$id/optimus.yaml'" \
    "rm -rf '$W/out/$id'" "$BL cold '$W/www/$id/urls.txt' '$BASE/$id' '$W/out/$id' $JOBS"
  # Same bytes installed as the baseline extracted?
  for f in "$W/out/$id"/out/b00/*; do
    cmp -s "$f" "$W/proj/$id/.plugins/$(basename "$f")" || { echo "MISMATCH $f" >&2; exit 1; }
  done
  [ "$id" = s16x16 ] || rm -rf "$W/out/$id" "$W/cache/$id" "$W/proj/$id/.plugins"
done

# --- warm, 16 x 16 MiB into a fresh project ---------------------------------------------------
echo "warm install, 16 x 16 MiB..." >&2
export OPTIMUS_CACHE_DIR=$W/cache/s16x16
mkdir -p "$W/proj/warm"
cp "$W/proj/s16x16/optimus.yaml" "$W/proj/s16x16/optimus.lock" "$W/proj/warm/"
r0=$(requests)
hf warm-s16x16 "$RUNS_FAST" 1 \
  "rm -rf '$W/proj/warm/.plugins'" "'$OPT' -q install -c '$W/proj/warm/optimus.yaml'" \
  "rm -rf '$W/out/warm'" "$BL warm '$W/www/s16x16/urls.txt' '$W/out/s16x16/dl' '$W/out/warm' $JOBS"
extra warm_requests $(($(requests) - r0))
rm -rf "$W/proj/warm/.plugins"
extra warm_summary "$("$OPT" install -c "$W/proj/warm/optimus.yaml" 2>&1 | tail -1)"
rm -rf "$W/out/s16x16" "$W/out/warm" "$W/proj/warm" "$W/proj/s16x16/.plugins"

# --- plugin counts: 10, 100, 1,000 plugins (4 KiB artifacts) -------------------------------------
for n in $COUNTS; do
  echo "$n plugins: cold, warm, no-op, lock..." >&2
  head -n "$n" "$W/www/many/urls.txt" >"$W/lists/urls$n.txt"
  names "$W/lists/names$n.txt" "$n" b %02d
  # 1,000 plugins: the cold and warm baselines spawn ~6 processes per plugin; fewer runs
  runs_cold=$RUNS_COLD runs_warm=$RUNS_FAST
  [ "$n" -ge 1000 ] && runs_cold=$RUNS_BIG runs_warm=$RUNS_COLD
  # cold (lock present, empty cache)
  project "c$n" many "$n"
  export OPTIMUS_CACHE_DIR=$W/cache/c$n
  opt lock -c "$W/proj/c$n/optimus.yaml" >/dev/null
  hf "cold-n$n" "$runs_cold" 0 \
    "rm -rf '$W/cache/c$n' '$W/proj/c$n/.plugins'" "'$OPT' -q install -c '$W/proj/c$n/optimus.yaml'" \
    "rm -rf '$W/out/c$n'" "$BL cold '$W/lists/urls$n.txt' '$BASE/many' '$W/out/c$n' $JOBS"
  for f in "$W/out/c$n"/out/b0*/*; do
    cmp -s "$f" "$W/proj/c$n/.plugins/$(basename "$f")" || { echo "MISMATCH $f" >&2; exit 1; }
  done
  # warm (fresh project, cache filled by the cold runs; the baseline's downloads as its cache)
  mkdir -p "$W/proj/w$n"
  cp "$W/proj/c$n/optimus.yaml" "$W/proj/c$n/optimus.lock" "$W/proj/w$n/"
  r0=$(requests)
  hf "warm-n$n" "$runs_warm" 1 \
    "rm -rf '$W/proj/w$n/.plugins'" "'$OPT' -q install -c '$W/proj/w$n/optimus.yaml'" \
    "rm -rf '$W/out/w$n'" "$BL warm '$W/lists/urls$n.txt' '$W/out/c$n/dl' '$W/out/w$n' $JOBS"
  extra "warm_requests_n$n" $(($(requests) - r0))
  # no-op (both installs from the last warm run are in place)
  sh bench/baseline.sh manifest "$W/out/w$n/out" >"$W/out/w$n.manifest"
  sh bench/baseline.sh noop "$W/out/w$n.manifest" || { echo "noop baseline: manifest differs" >&2; exit 1; }
  r0=$(requests)
  hf "noop-n$n" $((RUNS_FAST * 2)) 3 \
    true "'$OPT' -q install -c '$W/proj/w$n/optimus.yaml'" \
    true "$BL noop '$W/out/w$n.manifest'"
  extra "noop_requests_n$n" $(($(requests) - r0))
  extra "noop_summary_n$n" "$("$OPT" install -c "$W/proj/w$n/optimus.yaml" 2>&1 | tail -1)"
  # lock (empty index cache)
  project "l$n" many "$n"
  export OPTIMUS_CACHE_DIR=$W/cache/l$n
  hf "lock-n$n" "$RUNS_COLD" 0 \
    "rm -rf '$W/cache/l$n' '$W/proj/l$n/optimus.lock'" "'$OPT' -q lock -c '$W/proj/l$n/optimus.yaml'" \
    "rm -rf '$W/out/l$n'" "$BL lock '$W/lists/names$n.txt' '$BASE/many' '$W/out/l$n' $JOBS"
  extra "locked_n$n" "$(grep -c '^\[\[plugin\]\]' "$W/proj/l$n/optimus.lock")"
  rm -rf "$W/out/c$n" "$W/out/w$n" "$W/out/l$n" "$W/cache/c$n" "$W/cache/l$n" \
    "$W/proj/c$n/.plugins" "$W/proj/w$n/.plugins"
done

# --- lock of 200 x 100 x 4 (cold index cache, then revalidated with If-None-Match) ---------------
echo "lock of 200 plugins x 100 versions x 4 platforms..." >&2
project lock idx 200 p %03d
names "$W/lists/names-idx.txt" 200 p %03d
export OPTIMUS_CACHE_DIR=$W/cache/lock
hyperfine -N -r "$RUNS_COLD" --style none --export-json "$W/json/lock-idx.json" \
  -n optimus --prepare "rm -rf '$W/cache/lock' '$W/proj/lock/optimus.lock'" \
  "'$OPT' -q lock -c '$W/proj/lock/optimus.yaml'" \
  -n baseline --prepare "rm -rf '$W/out/lock'" \
  "$BL lock '$W/lists/names-idx.txt' '$BASE/idx' '$W/out/lock' $JOBS" \
  -n "optimus, revalidated (304)" --prepare "rm -f '$W/proj/lock/optimus.lock'" \
  "'$OPT' -q lock -c '$W/proj/lock/optimus.yaml'" >/dev/null
extra locked_idx "$(grep -c '^\[\[plugin\]\]' "$W/proj/lock/optimus.lock")"

# --- a registry of 2,000 plugins, a project declaring all of them -------------------------------
echo "lock against a registry of $REG_N plugins x $REG_V versions x 4 platforms..." >&2
project reg "reg$REG_N" "$REG_N" p %03d
names "$W/lists/names-reg.txt" "$REG_N" p %03d
export OPTIMUS_CACHE_DIR=$W/cache/reg
hf "lock-reg$REG_N" "$RUNS_COLD" 0 \
  "rm -rf '$W/cache/reg' '$W/proj/reg/optimus.lock'" "'$OPT' -q lock -c '$W/proj/reg/optimus.yaml'" \
  "rm -rf '$W/out/reg'" "$BL lock '$W/lists/names-reg.txt' '$BASE/reg$REG_N' '$W/out/reg' $JOBS"
extra locked_reg "$(grep -c '^\[\[plugin\]\]' "$W/proj/reg/optimus.lock")"
rm -rf "$W/out/reg" "$W/out/lock" "$W/cache/reg" "$W/cache/lock"

# --- peak RSS, one big artifact (the last sweep set) ----------------------------------------------
last=${SWEEP##* }
mb=${last%:*} id=s${last%:*}x${last#*:}
echo "peak RSS installing one $mb MiB artifact..." >&2
export OPTIMUS_CACHE_DIR=$W/cache/$id
best=0
for _ in 1 2; do
  rm -rf "$W/cache/$id" "$W/proj/$id/.plugins"
  /usr/bin/time -v "$OPT" -q install -c "$W/proj/$id/optimus.yaml" >/dev/null 2>"$W/json/time.txt"
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/json/time.txt")
  ((kb > best)) && best=$kb
done
extra rss_mib "$mb"
extra rss_optimus_kb "$best"
rm -rf "$W/out/rss"
/usr/bin/time -v sh bench/baseline.sh cold "$W/www/$id/urls.txt" "$BASE/$id" "$W/out/rss" $JOBS 2>"$W/json/time.txt"
extra rss_baseline_kb "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/json/time.txt")"
rm -rf "$W/cache/$id" "$W/proj/$id/.plugins" "$W/out/rss"

# --- report -------------------------------------------------------------------------------------
extra load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
extra machine "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Linux $(uname -r)"
extra date "$(date -u +%Y-%m-%dT%H:%MZ)"
dirty=; [ -n "$(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ] && dirty=+dirty-src
extra commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
extra built "${OPTIMUS_PLUGINS_BIN:+no}"
python3 bench/report.py "$W/json" "$OUT/results.json"
if [ -n "$PLOT_PY" ]; then
  "$PLOT_PY" bench/plot.py "$OUT/results.json" "$OUT/plot.png" && echo "wrote $OUT/results.json and $OUT/plot.png" >&2
fi

# Keep the generated registries (bench/work/www) and the venv for the next run; drop the rest.
rm -rf "$W/out" "$W/cache" "$W/proj"
