#!/usr/bin/env python3
"""Regenerates docs/walkthrough.md from real runs: every ```console block's `$ command` lines
are run in order, in a fresh clone of this repository, and the lines under each command are
replaced by what it printed (stdout and stderr, as a terminal shows them). So the walkthrough's
outputs are never written by hand.

    scripts/walkthrough.py                 # build the release binary, rewrite docs/walkthrough.md
    scripts/walkthrough.py --check         # exit 1 if the committed file differs (keys aside)
    OPTIMUS_PLUGINS_BIN=target/debug/optimus-plugins scripts/walkthrough.py

Markers in the markdown (HTML comments, invisible when rendered):
  <!-- file: PATH -->   the fenced block right after it is written to PATH (in the clone)
  <!-- run: COMMAND --> COMMAND is run there, silently (edits a reader makes by hand)

The clone goes into a fresh scratch directory (tempfile.mkdtemp), removed when the run ends,
whatever happens; outputs show it as /tmp/walk (SHOWN), so absolute paths in them are stable.
Keys made by `keygen` and registry ids made by `publish` differ on every run: --check ignores
minisign public keys and 32-hex-digit registry ids.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "walkthrough.md")
# How the scratch clone's path is shown in the outputs (it is a new mkdtemp directory each run).
SHOWN = "/tmp/walk"


def sh(cmd, cwd, env):
    r = subprocess.run(
        ["bash", "-c", cmd], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    return r.returncode, r.stdout.decode()


def main():
    scratch = tempfile.mkdtemp(prefix="optimus-walk-")
    try:
        return run(os.path.join(scratch, "walk"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(WALK):
    check = "--check" in sys.argv[1:]
    binary = os.environ.get("OPTIMUS_PLUGINS_BIN")
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        binary = os.path.join(target, "release", "optimus-plugins")
    binary = os.path.abspath(binary)
    subprocess.run(["git", "clone", "-q", ROOT, WALK], check=True)
    bindir = os.path.join(WALK, ".walk-bin")
    os.makedirs(bindir)
    os.symlink(binary, os.path.join(bindir, "optimus-plugins"))
    with open(os.path.join(WALK, ".git", "info", "exclude"), "a") as f:
        f.write(".walk-bin/\n")
    env = dict(os.environ)
    env.update(
        PATH=bindir + os.pathsep + env["PATH"],
        OPTIMUS_CACHE_DIR=os.path.join(WALK, ".walk-cache"),
        NO_COLOR="1",
        COLUMNS="100",
    )
    # OPTIMUS_BIN names the binary for this script; for `list` it would name the Go Optimus.
    for k in ("OPTIMUS_PLUGIN_DIR", "OPTIMUS_PLUGIN_ARTIFACTS", "OPTIMUS_MIRROR_DIR", "OPTIMUS_BIN"):
        env.pop(k, None)
    with open(os.path.join(WALK, ".git", "info", "exclude"), "a") as f:
        f.write(".walk-cache/\n")

    lines = open(DOC).read().split("\n")
    out = []
    i = 0
    pending_file = None
    while i < len(lines):
        line = lines[i]
        m = re.match(r"<!-- (file|run): (.*) -->$", line)
        if m and m.group(1) == "run":
            code, text = sh(m.group(2), WALK, env)
            if code != 0:
                sys.exit(f"walkthrough: `{m.group(2)}` failed ({code}):\n{text}")
        elif m:
            pending_file = m.group(2)
        if line.startswith("```") and pending_file and line != "```":
            # The block after a file marker: written to the clone as it is.
            out.append(line)
            i += 1
            body = []
            while lines[i] != "```":
                body.append(lines[i])
                i += 1
            path = os.path.join(WALK, pending_file)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("\n".join(body) + "\n")
            out.extend(body)
            out.append("```")
            pending_file = None
            i += 1
            continue
        if line == "```console":
            out.append(line)
            i += 1
            while lines[i] != "```":
                if lines[i].startswith("$ "):
                    cmd = lines[i][2:]
                    out.append(lines[i])
                    _, text = sh(cmd, WALK, env)
                    text = text.replace(WALK, SHOWN).rstrip("\n")
                    if text:
                        out.extend(text.split("\n"))
                i += 1
            out.append("```")
            i += 1
            continue
        out.append(line)
        i += 1
    new = "\n".join(out)
    if check:
        key = re.compile(r"RW[A-Za-z0-9+/]{54}")
        registry_id = re.compile(r"\b[0-9a-f]{32}\b")
        a = registry_id.sub("ID", key.sub("KEY", open(DOC).read()))
        b = registry_id.sub("ID", key.sub("KEY", new))
        if a != b:
            import difflib

            sys.stdout.writelines(
                difflib.unified_diff(
                    a.splitlines(True), b.splitlines(True), "committed", "regenerated"
                )
            )
            sys.exit(1)
        print("docs/walkthrough.md matches a fresh run")
        return
    with open(DOC, "w") as f:
        f.write(new)
    print(f"wrote {DOC} from a run in a scratch clone (removed)")


if __name__ == "__main__":
    sys.exit(main())
