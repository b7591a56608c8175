#!/usr/bin/env python3
"""Plots bench/results.json (written by report.py) into a PNG with two panels:
time vs artifact size (log-log) and time vs plugin count (log-log), optimus vs shell baseline.

  plot.py RESULTS_JSON PLOT_PNG      (needs matplotlib; run.sh makes a venv for it)
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402


def seconds(s, _pos=None):
    if s >= 1:
        return f"{s:g} s"
    return f"{s * 1000:g} ms"


def time_axis(ax, label):
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(seconds))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(label)


def main():
    res = json.load(open(sys.argv[1]))
    cases = res["cases"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 7.6), dpi=110)
    meta = res["meta"]
    fig.suptitle(
        f'optimus-plugins bench, {meta.get("date")}{" (QUICK)" if res.get("quick") else ""}: '
        f'{meta.get("machine")}, load {meta.get("load_end")}\n'
        "medians; solid = optimus, dashed = shell baseline measured in the same run",
        fontsize=10,
    )

    # --- panel 1: time vs artifact size ------------------------------------------------------
    # Fewer artifacts at the big sizes (16 up to 64 MiB, then 4, then 1) keep the bench short;
    # plotting the time per artifact (total / artifacts, both sides alike) keeps the curves
    # comparable across that change, and the ratio is the same as for the totals.
    pts = [(s["mib"], s["count"], cases.get(s["case"])) for s in res["sweep"]]
    pts = [(mb, n, c) for mb, n, c in pts if c]
    xs = [mb for mb, _, _ in pts]
    opt = [c["optimus"]["median_s"] / n for _, n, c in pts]
    base = [c["shell"]["median_s"] / n for _, n, c in pts]
    ax1.plot(xs, opt, "o-", color="C0", lw=2, label="optimus install (cold cache, --jobs 8)")
    ax1.plot(xs, base, "s--", color="C3", lw=2, label="curl + sha256sum -c + tar -xzf (xargs -P 8)")
    for (mb, n, c), yo, yb in zip(pts, opt, base):
        ax1.annotate(f"{c['ratio']:.2f}x", (mb, yo), textcoords="offset points", xytext=(0, -15),
                     ha="center", fontsize=8, color="C0")
        ax1.annotate(f"{n} x {mb} MiB", (mb, yb), textcoords="offset points", xytext=(0, 8),
                     ha="center", fontsize=8, color="C3")
    ax1.set_xscale("log", base=2)
    time_axis(ax1, "wall time per artifact (median total / artifacts, log)")
    ax1.set_xticks(xs)
    ax1.set_xticklabels([f"{x} MiB" if x < 1024 else f"{x // 1024} GiB" for x in xs])
    ax1.minorticks_off()
    ax1.set_xlabel("artifact size (red: artifacts per install; blue: ratio optimus / baseline)")
    ax1.set_title("Cold install vs artifact size")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(loc="upper left", fontsize=8)

    # --- panel 2: time vs plugin count ---------------------------------------------------------
    counts = res["counts"]
    kinds = [
        ("cold", "cold install", "C0"),
        ("warm", "warm install", "C2"),
        ("noop", "no-op install", "C1"),
        ("lock", "lock (cold cache)", "C4"),
    ]
    for k, label, color in kinds:
        cs = [(n, cases.get(f"{k}-n{n}")) for n in counts]
        cs = [(n, c) for n, c in cs if c]
        if not cs:
            continue
        ns = [n for n, _ in cs]
        ax2.plot(ns, [c["optimus"]["median_s"] for _, c in cs], "o-", color=color, lw=2, label=f"{label}: optimus")
        ax2.plot(ns, [c["shell"]["median_s"] for _, c in cs], "s--", color=color, lw=1.5, alpha=0.8,
                 label=f"{label}: {c_base(k)}")
    reg = res.get("registry")
    c = cases.get(reg["case"]) if reg else None
    if c:
        n = reg["plugins"]
        ax2.plot([n], [c["optimus"]["median_s"]], "*", color="C5", ms=13,
                 label=f"lock, {n:,} plugins x {reg['versions']} versions x 4 platforms: optimus")
        ax2.plot([n], [c["shell"]["median_s"]], "P", color="C5", ms=10, alpha=0.8, label="  same: curl floor")
    ax2.axhline(0.030, color="grey", ls=":", lw=1)
    ax2.annotate("no-op target 30 ms", (counts[0], 0.030), textcoords="offset points", xytext=(2, 3),
                 fontsize=8, color="grey")
    ax2.set_xscale("log")
    time_axis(ax2, "wall time (median, log)")
    ticks = counts + ([reg["plugins"]] if c else [])
    ax2.set_xticks(ticks)
    ax2.set_xticklabels([f"{t:,}" for t in ticks])
    ax2.set_xlabel("plugins in the project (4 KiB artifacts, 1 version each)")
    ax2.set_title("Time vs plugin count")
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=7.5, ncol=2, frameon=False)

    fig.tight_layout()
    fig.savefig(sys.argv[2])


def c_base(kind):
    return {
        "cold": "curl + sha256sum + tar",
        "warm": "sha256sum+tar from cache",
        "noop": "stat vs manifest",
        "lock": "curl of the indexes",
    }[kind]


if __name__ == "__main__":
    main()
