#!/bin/sh
# The shell baseline for a cold install: curl + sha256sum + tar -xzf per artifact, JOBS at a
# time (xargs -P), over the same files and server as optimus.
#   baseline.sh URLS_TXT BASE_URL OUT_DIR JOBS
# URLS_TXT has "name relative-url sha256" per line (written by gen.py).
set -eu
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
