#!/usr/bin/env bash
# Builds the release assets into dist/ (or $DIST), for each Rust target triple given
# (default: this machine's):
#
#   plugins_<os>-<arch>                          the raw executable, named so that
#                                                `optimus extension install OWNER/optimus-extension-plugins`
#                                                picks it (Optimus takes the asset whose name
#                                                ends in <GOOS>-<GOARCH>)
#   optimus-plugins_<version>_<os>_<arch>.tar.gz the executable (optimus-plugins), README.md, LICENSE
#   SHA256SUMS                                   sha256 of every asset (`sha256sum -c SHA256SUMS`)
#   SHA256SUMS.minisig                           its minisign signature (`optimus-plugins sign`):
#                                                minisign -Vm SHA256SUMS -p release.pub
#   ca-certificates.crt                          (linux) this machine's CA bundle: an input of the
#                                                image (Containerfile), not a release asset
#
# Linux binaries are fully static (glibc with +crt-static: no shared library at all), so the
# container image (Containerfile) is FROM scratch.
#
#   scripts/release.sh                                   # this machine's target
#   scripts/release.sh x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu
#
# The key: RELEASE_SECRET_KEY=keys/release.key (from `optimus-plugins keygen`), with
# RELEASE_PASSWORD_ENV=VAR when it is encrypted. Without it a throwaway key pair is made and
# its public half left as dist/throwaway-key.pub (for trying the script, never for publishing).
# Tars are reproducible (sorted, owner 0, mtime SOURCE_DATE_EPOCH or the last commit's time).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
dist="${DIST:-$repo/dist}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
host=$(rustc -vV | sed -n 's/^host: //p')
targets=("$@")
((${#targets[@]})) || targets=("$host")
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"

say() { printf '==> %s\n' "$*" >&2; }

# Rust's target triple -> Optimus's (Go's) os and arch.
goos() {
  case "$1" in
    *-linux-*) echo linux ;;
    *-apple-darwin) echo darwin ;;
    *-windows-*) echo windows ;;
    *) echo "release.sh: no Go os for target $1" >&2; exit 2 ;;
  esac
}
goarch() {
  case "$1" in
    x86_64-*) echo amd64 ;;
    aarch64-*) echo arm64 ;;
    *) echo "release.sh: no Go arch for target $1" >&2; exit 2 ;;
  esac
}

rm -rf "$dist"
mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
signer=""
for t in "${targets[@]}"; do
  os=$(goos "$t"); arch=$(goarch "$t")
  exe=optimus-plugins; [ "$os" = windows ] && exe=optimus-plugins.exe
  flags="${RUSTFLAGS:-}"
  # Static glibc: getaddrinfo and NSS (files, dns) are linked in; the image carries an
  # nsswitch.conf so /etc/hosts is read before DNS, as on a glibc system.
  case "$t" in *-linux-gnu*) flags="$flags -C target-feature=+crt-static" ;; esac
  say "building $t ($os-$arch)"
  start=$(date +%s)
  RUSTFLAGS="$flags" cargo build --release --locked --target "$t"
  say "built $t in $(( $(date +%s) - start )) s"
  bin="$target_dir/$t/release/$exe"
  if [ "$os" = linux ] && command -v readelf >/dev/null 2>&1 && readelf -d "$bin" 2>/dev/null | grep -q NEEDED; then
    echo "release.sh: $bin needs shared libraries; a release binary for linux must be static" >&2
    readelf -d "$bin" | grep NEEDED >&2
    exit 1
  fi
  # Symbols stripped where this machine's strip reads the target (its own architecture).
  if [ "$t" = "$host" ] && [ "$os" = linux ] && command -v strip >/dev/null 2>&1; then
    strip --strip-all -o "$dist/plugins_$os-$arch" "$bin"
  else
    cp "$bin" "$dist/plugins_$os-$arch"
  fi
  chmod 0755 "$dist/plugins_$os-$arch"
  name="optimus-plugins_${version}_${os}_${arch}"
  mkdir -p "$work/$name"
  cp "$dist/plugins_$os-$arch" "$work/$name/$exe"
  cp README.md LICENSE "$work/$name/"
  chmod 0755 "$work/$name/$exe"
  chmod 0644 "$work/$name/README.md" "$work/$name/LICENSE"
  tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
      -cf - "$name" | gzip -n -9 > "$dist/$name.tar.gz"
  [ "$t" = "$host" ] && signer="$bin"
  if [ "$os" = linux ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$dist/ca-certificates.crt"
  fi
done

# The signer: this machine's build when one was made, else a build for this machine.
if [ -z "$signer" ]; then
  cargo build --release --locked
  signer="$target_dir/release/optimus-plugins"
fi

(cd "$dist" && find . -maxdepth 1 -type f \( -name 'plugins_*' -o -name '*.tar.gz' \) -printf '%f\n' \
   | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)

key="${RELEASE_SECRET_KEY:-}"
pwflag=()
if [ -n "${RELEASE_PASSWORD_ENV:-}" ]; then pwflag=(--password-env "$RELEASE_PASSWORD_ENV"); fi
if [ -z "$key" ]; then
  say "RELEASE_SECRET_KEY is not set: signing with a throwaway key (dist/throwaway-key.pub); do not publish this"
  "$signer" -q keygen --output "$work/throwaway" >/dev/null
  cp "$work/throwaway.pub" "$dist/throwaway-key.pub"
  key="$work/throwaway.key"
fi
"$signer" -q sign --secret-key "$key" "${pwflag[@]}" "$dist/SHA256SUMS" >/dev/null
say "dist: $(cd "$dist" && ls | tr '\n' ' ')"
