#!/usr/bin/env python3
"""Turns the hyperfine exports of bench/run.sh into results.json and one markdown table.

  report.py JSON_DIR RESULTS_JSON

JSON_DIR holds one hyperfine export per case (command 0 = optimus, command 1 = its shell
baseline, command 2 = an optional second optimus variant) and extra.tsv ("key<TAB>value" lines
for figures that are not hyperfine medians: RSS, request counts, summaries, run metadata).
Standard library only. The table goes to stdout.
"""
import json
import os
import sys


def load(jdir, case):
    path = os.path.join(jdir, case + ".json")
    if not os.path.exists(path):
        return None
    out = []
    for r in json.load(open(path))["results"]:
        out.append(
            {
                "command": r["command"],
                "median_s": r["median"],
                "mean_s": r["mean"],
                "stddev_s": r.get("stddev"),
                "min_s": r["min"],
                "max_s": r["max"],
                "cpu_s": r["user"] + r["system"],
                "runs": len(r["times"]),
            }
        )
    return out


def fmt_t(s):
    if s is None:
        return "n/a"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_r(x):
    return "n/a" if x is None else (f"{x:.2f}x" if x >= 0.01 else f"{x:.3f}x")


def main():
    jdir, out_path = sys.argv[1], sys.argv[2]
    extra = {}
    with open(os.path.join(jdir, "extra.tsv")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            extra[k] = v
    quick = bool(extra.get("quick"))
    sweep = [tuple(int(x) for x in p.split(":")) for p in extra["sweep"].split()]
    counts = [int(n) for n in extra["counts"].split()]
    reg_n, reg_v = (int(x) for x in extra["reg"].split())

    cases = {}

    def case(cid, label, baseline_label):
        res = load(jdir, cid)
        if res is None:
            return None
        o, b = res[0], res[1]
        c = {
            "label": label,
            "baseline": baseline_label,
            "optimus": o,
            "shell": b,
            "ratio": o["median_s"] / b["median_s"],
            "cpu_ratio": o["cpu_s"] / b["cpu_s"] if b["cpu_s"] else None,
        }
        if len(res) > 2:
            c["optimus_variant"] = res[2]
            c["variant_ratio"] = res[2]["median_s"] / b["median_s"]
        cases[cid] = c
        return c

    B_COLD = "curl + sha256sum -c + tar -xzf, xargs -P 8"
    B_WARM = "sha256sum -c + tar -xzf of cached tarballs, xargs -P 8"
    B_NOOP = "stat of every file vs manifest"
    B_LOCK = "curl of the same index + .minisig files, 8 at a time"
    for mb, n in sweep:
        case(f"sweep-s{mb}x{n}", f"cold install {n} x {mb} MiB tar.gz", B_COLD)
    case("warm-s16x16", "warm install, fresh project, 16 x 16 MiB", B_WARM)
    for n in counts:
        case(f"cold-n{n}", f"cold install, {n} plugins (4 KiB each)", B_COLD)
        case(f"warm-n{n}", f"warm install, {n} plugins", B_WARM)
        case(f"noop-n{n}", f"no-op install, {n} plugins", B_NOOP)
        case(f"lock-n{n}", f"lock, {n} plugins x 1 version, cold cache", B_LOCK)
    case("lock-idx", "lock 200 plugins x 100 versions x 4 platforms, cold cache", B_LOCK)
    case(
        f"lock-reg{reg_n}",
        f"lock, registry and project of {reg_n:,} plugins x {reg_v} versions x 4 platforms",
        B_LOCK,
    )

    rss = None
    if extra.get("rss_optimus_kb"):
        o_kb, b_kb = int(extra["rss_optimus_kb"]), int(extra["rss_baseline_kb"])
        rss = {
            "artifact_mib": int(extra["rss_mib"]),
            "optimus_mib": o_kb / 1024,
            "baseline_mib": b_kb / 1024,
            "ratio": o_kb / b_kb,
        }

    # --- the table ------------------------------------------------------------------------
    rows = []

    def row(c, target="", met=None, opt_key="optimus", label=None):
        if c is None:
            return
        o = c[opt_key]
        ratio = o["median_s"] / c["shell"]["median_s"]
        cpu = f'{fmt_t(o["cpu_s"])} / {fmt_t(c["shell"]["cpu_s"])}'
        rows.append(
            [
                label or c["label"],
                fmt_t(o["median_s"]),
                f'{fmt_t(c["shell"]["median_s"])} ({c["baseline"]})',
                fmt_r(ratio),
                cpu,
                target,
                "" if met is None else ("**yes**" if met else "**no**"),
            ]
        )

    targets = []

    def target(name, value, baseline, ratio, goal, met):
        targets.append(
            {"case": name, "optimus": value, "baseline": baseline, "ratio": ratio, "target": goal, "met": met}
        )

    c = cases.get("sweep-s16x16")
    if c:
        met = c["ratio"] <= 1.0
        row(c, "<= 1.0x baseline", met, label="**cold install 16 x 16 MiB tar.gz, 8 jobs**")
        target("cold install 16 x 16 MiB", c["optimus"]["median_s"], c["shell"]["median_s"], c["ratio"], "<= 1.0x baseline", met)
    c = cases.get("warm-s16x16")
    if c and "sweep-s16x16" in cases:
        cold = cases["sweep-s16x16"]["optimus"]["median_s"]
        met = c["optimus"]["median_s"] <= 0.1 * cold
        row(c, f"<= 0.1x optimus cold ({fmt_t(0.1 * cold)})", met, label="**warm install, fresh project, 16 x 16 MiB**")
        target("warm install 16 x 16 MiB", c["optimus"]["median_s"], c["shell"]["median_s"], c["ratio"], "<= 0.1x cold", met)
    c = cases.get(f"noop-n{max(counts)}")
    if c:
        met = c["optimus"]["median_s"] <= 0.030
        row(c, "<= 30 ms", met, label=f"**no-op install, {max(counts):,} plugins**")
        target(f"no-op install {max(counts)} plugins", c["optimus"]["median_s"], c["shell"]["median_s"], c["ratio"], "<= 30 ms", met)
    c = cases.get("lock-idx")
    if c:
        met = c["optimus"]["median_s"] <= 1.0
        row(c, "<= 1 s", met, label="**lock 200 plugins x 100 versions x 4 platforms, cold cache**")
        target("lock 200 x 100 x 4", c["optimus"]["median_s"], c["shell"]["median_s"], c["ratio"], "<= 1 s", met)
    if rss:
        met = rss["optimus_mib"] <= 16
        big = rss["artifact_mib"]
        size = "1 GiB" if big == 1024 else f"{big} MiB (QUICK; the target is for 1 GiB)"
        rows.append(
            [
                f"**peak RSS, cold install of one {size} artifact**",
                f'{rss["optimus_mib"]:.1f} MiB',
                f'{rss["baseline_mib"]:.1f} MiB (largest process of the cold baseline)',
                fmt_r(rss["ratio"]),
                "",
                "<= 16 MB",
                "**yes**" if met else "**no**",
            ]
        )
        target(f"peak RSS one {big} MiB artifact (MiB)", rss["optimus_mib"], rss["baseline_mib"], rss["ratio"], "<= 16 MB", met)
    c = cases.get("lock-idx")
    if c:
        row(c, opt_key="optimus_variant", label="lock 200 x 100 x 4, indexes revalidated (304)")
    row(cases.get(f"lock-reg{reg_n}"))
    for n in counts:
        for k in ("cold", "warm", "noop", "lock"):
            if not (k == "noop" and n == max(counts)):
                row(cases.get(f"{k}-n{n}"))
    for mb, n in sweep:
        if (mb, n) != (16, 16):
            row(cases.get(f"sweep-s{mb}x{n}"))

    load_end = extra.get("load_end", "?")
    print()
    print(f'## optimus-plugins bench — {extra.get("date", "")} — {extra.get("machine", "")}' + (" — QUICK" if quick else ""))
    print()
    print(
        f'Binary: `{extra.get("optimus_bin", "")}` '
        + (f'(given by OPTIMUS_PLUGINS_BIN; work tree at {extra.get("commit", "?")})' if extra.get("built") else f'(built from {extra.get("commit", "?")})')
        + '. Load average: '
        f'{extra.get("load_start", "?")} at the start, {load_end} at the end. Medians of hyperfine runs; '
        "ratio = optimus / shell baseline measured in the same run (below 1x: optimus is faster). "
        "Targets in bold."
    )
    print()
    print("| case | optimus (median) | shell baseline (median) | ratio | CPU optimus / baseline | target | met? |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    notes = []
    if "warm_requests" in extra:
        notes.append(f'requests to nginx during the warm 16 x 16 MiB runs: {extra["warm_requests"]}')
    for n in counts:
        if f"noop_requests_n{n}" in extra:
            notes.append(
                f'{n} plugins: requests during warm runs {extra.get(f"warm_requests_n{n}")}, '
                f'during no-op runs {extra[f"noop_requests_n{n}"]}; lock wrote {extra.get(f"locked_n{n}")} plugins'
            )
    if "locked_idx" in extra:
        notes.append(f'lock 200 x 100 x 4 wrote {extra["locked_idx"]} plugins; the {reg_n:,}-plugin lock wrote {extra.get("locked_reg")}')
    if f"noop_summary_n{max(counts)}" in extra:
        notes.append(f'no-op summary: `{extra[f"noop_summary_n{max(counts)}"]}`')
    for n in notes:
        print(f"- {n}")

    results = {
        "meta": {k: extra.get(k) for k in ("date", "machine", "load_start", "load_end", "optimus_bin", "built", "commit", "runs")},
        "quick": quick,
        "sweep": [{"mib": mb, "count": n, "case": f"sweep-s{mb}x{n}"} for mb, n in sweep],
        "counts": counts,
        "registry": {"plugins": reg_n, "versions": reg_v, "case": f"lock-reg{reg_n}"},
        "cases": cases,
        "rss": rss,
        "targets": targets,
        "extra": extra,
    }
    with open(out_path, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
