#!/usr/bin/env bash
# Rebuilds registry-index/ (the signed demo registry), examples/optimus.yaml and
# lockfile.example with `optimus-plugins keygen` + `publish`, exactly as a publisher would.
# A fresh key pair is made each run; only its public half is kept (examples/demo-registry.pub).
set -euo pipefail
cd "$(dirname "$0")/.."
# OPTIMUS_PLUGINS_BIN: use that binary instead of building the release one (honours CARGO_TARGET_DIR).
if [ -n "${OPTIMUS_PLUGINS_BIN:-}" ]; then
  OPT=$(realpath "$OPTIMUS_PLUGINS_BIN")
else
  cargo build --release --locked -q
  OPT="${CARGO_TARGET_DIR:-$PWD/target}/release/optimus-plugins"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rm -rf registry-index
"$OPT" -q keygen --output "$work/demo" >/dev/null
cp "$work/demo.pub" examples/demo-registry.pub
PUB=$(sed -n 2p "$work/demo.pub")
# The demo's signed timestamp.toml is valid for ten years, so the README's command keeps
# working; a real registry re-signs it daily (`optimus-plugins refresh`, docs/hosting.md).
EXPIRES=3650d
# --public-url: the address the snippets of registry-index/index.html show (recorded in
# config.toml), as the README's project at the repository root uses it.
pub() { "$OPT" -q publish --registry registry-index --secret-key "$work/demo.key" --expires-in "$EXPIRES" --public-url ./registry-index "$@" >/dev/null; }

# Yaml plugins: neo (the tutorial's task) and predator (a hook).
mkdir -p "$work/neo"
for v in 0.9.0 1.0.0; do
  cat > "$work/neo/optimus-plugin-neo.yaml" <<YAML
name: neo
description: Near earth object tracker
plugintype: task
pluginversion: $v
image: ghcr.io/kushsharma/optimus-task-neo-executor:$v
entrypoint:
  script: python3 /opt/neo/main.py

questions:
- name: RANGE_START
  prompt: Date range start
  help: YYYY-MM-DD format
  required: true
  regexp: ^\d{4}-\d{2}-\d{2}$
  validationerror: use the YYYY-MM-DD format
- name: RANGE_END
  prompt: Date range end
  help: YYYY-MM-DD format
  required: true
defaultconfig:
- name: RANGE_START
  value: '{{.DSTART}}'
- name: RANGE_END
  value: '{{.DEND}}'
YAML
  pub --description "Near earth object tracker" neo "$v" "$work/neo/optimus-plugin-neo.yaml"
done

mkdir -p "$work/predator"
cat > "$work/predator/optimus-plugin-predator.yaml" <<'YAML'
name: predator
description: Data quality and profiling hook
plugintype: hook
pluginversion: 0.2.0
image: docker.io/odpf/optimus-predator-hook:0.2.0
entrypoint:
  script: predator profile
hooktype: post
dependson: []
questions:
- name: FILTER
  prompt: Filter expression for profiling
  help: a BigQuery SQL expression, empty for the whole table
  maxlength: 1024
- name: GROUP
  prompt: Group by column
  minlength: 1
  maxlength: 128
  subquestions:
  - ifvalue: __PARTITION__
    questions:
    - name: PARTITION_MODE
      prompt: Partition mode
      multiselect: [day, hour]
defaultconfig:
- name: AUDIT_TIME
  value: '{{.EXECUTION_TIME}}'
YAML
pub --description "Data quality and profiling hook" predator 0.2.0 "$work/predator/optimus-plugin-predator.yaml"

# A binary plugin: bq2bq, a small script, tar.gz for linux and zip for darwin, amd64 and arm64.
# Each archive also holds optimus-plugin-bq2bq.yaml, as the goreleaser archives of real Optimus
# plugins do (raystack/transformers): Optimus v0.7 refuses to start with a binary plugin that
# has no yaml of the same name, and `install` takes the yaml from beside the binary.
for v in 0.3.0 0.3.1 0.3.2 0.4.0-rc.1; do
  args=()
  for p in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
    d="$work/bq2bq/$v/$p"; mkdir -p "$d"
    printf '#!/bin/sh\n# demo plugin binary\necho "optimus-bq2bq %s (%s)"\n' "$v" "$p" > "$d/optimus-bq2bq_$p"
    chmod 755 "$d/optimus-bq2bq_$p"
    printf 'Demo plugin for the optimus plugin manager.\n' > "$d/README.md"
    cat > "$d/optimus-plugin-bq2bq.yaml" <<YAML
name: bq2bq
description: BigQuery to BigQuery transformation task
plugintype: task
pluginversion: $v
image: docker.io/odpf/optimus-task-bq2bq-executor:$v
entrypoint:
  script: python3 /opt/bq2bq/main.py
questions:
- name: PROJECT
  prompt: Project ID
  regexp: ^[a-z][a-z0-9-]{4,28}[a-z0-9]$
  validationerror: a GCP project id
  required: true
- name: TABLE
  prompt: Table ID
  required: true
YAML
    case $p in
      linux_*) tar -C "$d" -czf "$work/bq2bq/$v/optimus-bq2bq_${v}_$p.tar.gz" "optimus-bq2bq_$p" optimus-plugin-bq2bq.yaml README.md
               args+=("$work/bq2bq/$v/optimus-bq2bq_${v}_$p.tar.gz") ;;
      darwin_*) (cd "$d" && python3 -c 'import sys,zipfile
z=zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_DEFLATED)
for f in sys.argv[2:]:
    i=zipfile.ZipInfo.from_file(f); i.external_attr=(0o100755 if f.startswith("optimus") else 0o100644)<<16
    z.writestr(i, open(f,"rb").read(), zipfile.ZIP_DEFLATED)' "$work/bq2bq/$v/optimus-bq2bq_${v}_$p.zip" "optimus-bq2bq_$p" optimus-plugin-bq2bq.yaml README.md)
                args+=("$work/bq2bq/$v/optimus-bq2bq_${v}_$p.zip") ;;
    esac
  done
  pub --type task --description "BigQuery to BigQuery transformation task" bq2bq "$v" "${args[@]}"
done
# 0.3.0 shipped broken: yanked (still installable from a lock that has it).
"$OPT" -q yank --registry registry-index --secret-key "$work/demo.key" --expires-in "$EXPIRES" \
  --reason "shipped broken: exits 1 on every run; use 0.3.1 or later" bq2bq 0.3.0 >/dev/null

cat > examples/optimus.yaml <<YAML
# An Optimus project config: the plugin section sits beside the rest of the config.
version: 1
host: localhost:9100

plugins:
  dir: .plugins
  providers:
    - name: odpf
      type: registry
      url: ../registry-index
      public_keys: ["$PUB"]
  plugins:
    - name: bq2bq
      provider: odpf
      version: "^0.3"
    - name: neo
      provider: odpf
      version: "1"
    - name: predator
      provider: odpf
YAML

# lockfile.example: what \`lock\` writes for the example config on linux_amd64.
rm -f examples/optimus.lock
"$OPT" -q lock -c examples/optimus.yaml --platform linux_amd64 >/dev/null
mv examples/optimus.lock lockfile.example
echo "rebuilt registry-index/ (key $(sed -n 1p "$work/demo.pub" | awk '{print $NF}')), examples/optimus.yaml and lockfile.example"
