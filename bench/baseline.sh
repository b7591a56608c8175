#!/bin/sh
# The shell baselines of bench/run.sh: each does the job of one optimus case with standard
# tools, JOBS at a time (xargs -P / curl --parallel), over the same files and the same nginx.
# Why each one is the honest comparison is explained at the top of run.sh.
#
#   baseline.sh cold URLS_TXT BASE_URL OUT_DIR JOBS
#       per artifact: curl to OUT_DIR/dl, sha256sum -c, tar -xzf into OUT_DIR/out/NAME
#   baseline.sh warm URLS_TXT DL_DIR OUT_DIR JOBS
#       the cold baseline with a download cache (DL_DIR, the cold run's OUT_DIR/dl): per
#       artifact sha256sum -c + tar -xzf into OUT_DIR/out/NAME, no network
#   baseline.sh noop MANIFEST
#       stat of every installed file, compared with MANIFEST ("path size mtime" per line,
#       written by `baseline.sh manifest` after the install); exits 0 when nothing changed
#   baseline.sh manifest DIR > MANIFEST
#       helper for noop: the manifest of every file under DIR
#   baseline.sh lock NAMES_TXT BASE_URL OUT_DIR JOBS
#       GETs index/NAME.toml and index/NAME.toml.minisig of every name (the bytes a lock
#       needs) with JOBS curl processes side by side; no verification, no resolution
#
# URLS_TXT has "name relative-url sha256" per line (written by gen.py); NAMES_TXT a name a line.
set -eu
mode=$1
shift
case $mode in
cold)
  urls=$1 base=$2 out=$3 jobs=$4
  mkdir -p "$out/dl"
  export BASE="$base"
  xargs -P "$jobs" -L 1 sh -c '
    f="$0/dl/$1.tar.gz"
    curl -sSf -o "$f" "$BASE/$2"
    echo "$3  $f" | sha256sum -c --quiet -
    mkdir -p "$0/out/$1"
    tar -xzf "$f" -C "$0/out/$1"
  ' "$out" <"$urls"
  ;;
warm)
  urls=$1 dl=$2 out=$3 jobs=$4
  mkdir -p "$out"
  export DL="$dl"
  xargs -P "$jobs" -L 1 sh -c '
    f="$DL/$1.tar.gz"
    echo "$3  $f" | sha256sum -c --quiet -
    mkdir -p "$0/out/$1"
    tar -xzf "$f" -C "$0/out/$1"
  ' "$out" <"$urls"
  ;;
noop)
  manifest=$1
  cut -d' ' -f1 "$manifest" | xargs stat -c '%n %s %Y' | cmp -s - "$manifest"
  ;;
manifest)
  find "$1" -type f | sort | xargs stat -c '%n %s %Y'
  ;;
lock)
  names=$1 base=$2 out=$3 jobs=$4
  mkdir -p "$out"
  # JOBS curl processes, each GETting its share of the files over one kept-alive connection
  # (one `curl --parallel` over thousands of URLs slows down more than linearly in curl 7.88).
  awk -v base="$base" -v out="$out" -v jobs="$jobs" '{
    f = out "/.curlrc." (NR % jobs)
    printf "url = \"%s/index/%s.toml\"\noutput = \"%s/%s.toml\"\n", base, $1, out, $1 > f
    printf "url = \"%s/index/%s.toml.minisig\"\noutput = \"%s/%s.toml.minisig\"\n", base, $1, out, $1 > f
  }' "$names"
  pids=
  for f in "$out"/.curlrc.*; do
    curl -sSf --fail-early -K "$f" &
    pids="$pids $!"
  done
  rc=0
  for p in $pids; do wait "$p" || rc=1; done
  exit $rc
  ;;
*)
  echo "baseline.sh: unknown mode $mode" >&2
  exit 2
  ;;
esac
