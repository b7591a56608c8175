#!/usr/bin/env python3
"""Generates benchmark registries for bench/run.sh (spec §4 layout), signed with the reference
`minisign` tool (not with optimus itself, so the bench does not trust the code it measures to
sign what it verifies; signatures by `minisign -S` verify with optimus, spec §8).

  gen.py artifacts ROOT N MB   N plugins b00..bNN, one version, one linux_amd64 tar.gz each,
                               holding MB MiB of random (incompressible) bytes; also writes
                               ROOT/urls.txt ("name url sha256" per line) for the shell baseline
  gen.py index ROOT N V        N plugins with V versions x 4 platforms each (no artifact files:
                               `lock` never downloads registry artifacts)

Signing: every index/<name>.toml is signed with `minisign -S -s $MINISIGN_KEY`; the key pair is
made by run.sh with `minisign -G -W` (unencrypted). Idempotent: an existing ROOT/.done is kept.
"""
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import zlib

PLATFORMS = ["darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64"]


def sign(paths):
    key = os.environ["MINISIGN_KEY"]
    # minisign signs several files per call (-m a b c).
    for i in range(0, len(paths), 64):
        subprocess.run(
            ["minisign", "-S", "-s", key, "-m", *paths[i : i + 64]],
            check=True,
            stdout=subprocess.DEVNULL,
        )


class HashingWriter(io.RawIOBase):
    def __init__(self, f):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def writable(self):
        return True

    def write(self, b):
        self.f.write(b)
        self.h.update(b)
        self.n += len(b)
        return len(b)


def make_targz(path, member, size):
    """A tar.gz (gzip level 1, as `gzip -1`) holding `member` with `size` random bytes."""
    with open(path, "wb") as raw:
        hw = HashingWriter(raw)
        comp = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: gzip wrapper
        buf = io.BytesIO()

        def flush_gz(data):
            out = comp.compress(data)
            if out:
                hw.write(out)

        info = tarfile.TarInfo(member)
        info.size = size
        info.mode = 0o755
        header = info.tobuf(format=tarfile.GNU_FORMAT)
        flush_gz(header)
        left = size
        while left:
            k = min(left, 4 << 20)
            flush_gz(os.urandom(k))
            left -= k
        pad = (-size) % 512
        flush_gz(b"\0" * pad + b"\0" * 1024)
        hw.write(comp.flush())
        del buf
        return hw.h.hexdigest(), hw.n


def write_index(root, name, versions):
    """versions: list of (version, [artifact dicts])"""
    lines = [f'name = "{name}"', f'description = "bench plugin {name}"', 'plugin_type = "task"', ""]
    for v, arts in versions:
        lines += ["[[version]]", f'version = "{v}"', "yanked = false", ""]
        for a in arts:
            lines += [
                "[[version.artifact]]",
                f'platform = "{a["platform"]}"',
                'format = "tar.gz"',
                f'url = "{a["url"]}"',
                f'sha256 = "{a["sha256"]}"',
                f'size = {a["size"]}',
                "",
            ]
    p = os.path.join(root, "index", f"{name}.toml")
    with open(p, "w") as f:
        f.write("\n".join(lines))
    return p


def config(root):
    os.makedirs(os.path.join(root, "index"), exist_ok=True)
    with open(os.path.join(root, "config.toml"), "w") as f:
        f.write('name = "bench"\napi = 1\n')


def artifacts(root, n, mb):
    config(root)
    indexes, urls = [], []
    for i in range(n):
        name = f"b{i:02d}"
        rel = f"artifacts/{name}/1.0.0/optimus-{name}_1.0.0_linux_amd64.tar.gz"
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        sha, size = make_targz(path, f"optimus-{name}_linux_amd64", int(mb * (1 << 20)))
        a = {"platform": "linux_amd64", "url": rel, "sha256": sha, "size": size}
        indexes.append(write_index(root, name, [("1.0.0", [a])]))
        urls.append(f"{name} {rel} {sha}")
    sign(indexes)
    with open(os.path.join(root, "urls.txt"), "w") as f:
        f.write("\n".join(urls) + "\n")


def index_only(root, n, v):
    config(root)
    indexes = []
    for i in range(n):
        name = f"p{i:03d}"
        versions = []
        for j in range(v):
            ver = f"{j // 10}.{j % 10}.0"
            arts = []
            for p in PLATFORMS:
                sha = hashlib.sha256(f"{name}{ver}{p}".encode()).hexdigest()
                url = f"artifacts/{name}/{ver}/optimus-{name}_{ver}_{p}.tar.gz"
                arts.append({"platform": p, "url": url, "sha256": sha, "size": 1000 + j})
            versions.append((ver, arts))
        indexes.append(write_index(root, name, versions))
    sign(indexes)


def main():
    kind, root = sys.argv[1], sys.argv[2]
    done = os.path.join(root, ".done")
    if os.path.exists(done):
        return
    if kind == "artifacts":
        artifacts(root, int(sys.argv[3]), float(sys.argv[4]))
    elif kind == "index":
        index_only(root, int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(f"unknown kind {kind}")
    open(done, "w").close()


if __name__ == "__main__":
    main()
