#!/usr/bin/python3
"""latest.json (bench.py) -> the markdown table of figures, ratios and targets, and a PNG chart.

  report.py latest.json latest.md latest.png
"""

import json
import pathlib
import re
import statistics
import sys


def ms(v):
    if v is None:
        return "n/a"
    return f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms"


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def chainShare(run, prefix):
    """The "+N" of the agent's units on `systemd-analyze critical-chain`, in ms."""
    total = 0.0
    for line in run.get("on_critical_chain", []):
        m = re.search(r"([\w@.-]+\.service) @[\d.a-z ]+? \+([\d.]+)(ms|s)", line)
        if m and m.group(1).startswith(prefix):
            total += float(m.group(2)) * (1000 if m.group(3) == "s" else 1)
    return total


def bootSummary(boot):
    rows = {}
    for variant, runs in boot.get("runs", {}).items():
        prefix = {"imprint": "imprint", "cloud-init": "cloud-"}.get(variant)
        rows[variant] = {
            "userspace": med([r["userspace_ms"] for r in runs]),
            "hostname": med([r["hostname_set_ms"] for r in runs]),
            "blame": med([sum(r["blame_ms"].values()) for r in runs]) if prefix else None,
            "chain": med([chainShare(r, prefix) for r in runs]) if prefix else None,
            "units": {u: med([r["units"][u]["active_ms"] for r in runs if u in r["units"]])
                      for u in (runs[0]["units"] if runs else {})},
            "hostnames": sorted({r["hostname"] for r in runs}),
            "failed": sorted({l.split()[1] if l.startswith("●") else l.split()[0]
                              for r in runs for l in r["failed"].splitlines() if l.strip()}),
            "chain_lines": runs[0].get("on_critical_chain", []) if runs else [],
            "n": len(runs),
        }
    return rows


def targets(d, boot):
    """The goals of issue 16, each with the figure of this run and by how much it misses."""
    out = []
    small = d["seed"]["small"]["steps"]["fetch"]
    speedMin = small["cloud-init"]["min_ms"] / small["imprint"]["min_ms"]
    speedMed = small["cloud-init"]["median_ms"] / small["imprint"]["median_ms"]
    speed = min(speedMin, speedMed)
    out.append(("start-up: `fetch` on the small seed ≥ 100× faster than cloud-init",
                f"{speedMin:.0f}× on min, {speedMed:.0f}× on median ({ms(small['imprint']['min_ms'])} against "
                f"{ms(small['cloud-init']['min_ms'])})",
                "met" if speed >= 100 else f"MISSED: {speed:.0f}× is {100 / speed:.1f}× short of 100×"))
    rss = small["cloud-init"]["rss_kib"] / small["imprint"]["rss_kib"]
    out.append(("start-up: peak RSS of that `fetch` ≥ 6× smaller", f"{rss:.1f}× smaller "
                f"({small['imprint']['rss_kib'] / 1024:.1f} MiB against {small['cloud-init']['rss_kib'] / 1024:.1f} MiB)",
                "met" if rss >= 6 else f"MISSED: {rss:.1f}× is {6 / rss:.1f}× short of 6×"))
    ns = d["no_source"]["imprint"]
    status = "met" if ns["median_ms"] < 10 else ("met on min, MISSED on median by " + ms(ns["median_ms"] - 10)
                                                if ns["min_ms"] < 10 else f"MISSED by {ms(ns['min_ms'] - 10)} (min)")
    out.append(('"no source" decided in < 10 ms (imprint detect, empty root)',
                f"{ms(ns['min_ms'])} min, {ms(ns['median_ms'])} median", status))
    mine, theirs = boot.get("imprint"), boot.get("cloud-init")
    if mine and theirs and mine["hostname"] and theirs["hostname"]:
        ratio = theirs["hostname"] / mine["hostname"]
        out.append(("boot: the final host name ≥ 10× sooner than cloud-init (from the start of userspace)",
                    f"{ratio:.1f}× ({ms(mine['hostname'])} against {ms(theirs['hostname'])})",
                    "met" if ratio >= 10 else f"MISSED: {ratio:.1f}× is {10 / ratio:.1f}× short of 10×"))
        local = mine["units"].get("imprint-local.service")
        theirsLocal = theirs["units"].get("cloud-init-local.service")
        if local and theirsLocal:
            ratio = theirsLocal / local
            out.append(("boot: the local unit's own time (imprint-local against cloud-init-local, activation)",
                        f"{ratio:.1f}× ({ms(local)} against {ms(theirsLocal)})",
                        "met" if ratio >= 10 else f"MISSED: {ratio:.1f}× is {10 / ratio:.1f}× short of 10×"))
    else:
        out.append(("boot: the final host name ≥ 10× sooner than cloud-init", "not measured",
                    "NOT MEASURED: " + json.dumps(d.get("boot", {}))[:200]))
    return out


def markdown(d):
    m = d["machine"]
    boot = bootSummary(d.get("boot", {}))
    L = [f"# imprint vs cloud-init, side by side ({m['date']})", "",
         f"Machine: {m['nproc']} cores, {m['cpu']}, Debian {m['debian']}, kernel {m['kernel']}; "
         f"load average {' '.join(m['loadavg_start'])} at start, {' '.join(m.get('loadavg_end', ['?']))} at end. "
         f"imprint {d['build_type']} build; cloud-init {m['cloud_init']} (Python {m['python']} start-up included); "
         f"{m['hyperfine']}. Whole run: {d.get('elapsed_s', '?')} s.", "",
         "Absolute times drift on a shared machine; the ratios are what each run compares.", "",
         "## Targets", "", "| target | measured | status |", "|---|---|---|"]
    L += [f"| {a} | {b} | {c} |" for a, b, c in targets(d, boot)]
    L += ["", "## Seed → host identity (wall time over repeated runs, peak RSS)", "",
          "imprint: `imprint --root ROOT fetch|render|run --no-rebuild` (state removed before each run, so every "
          "run is a first boot). cloud-init: `cloudinit-driver.py fetch|run ROOT` — DataSourceNoCloud, "
          "user-data decoding and cloud-config merging, `util.get_hostname_fqdn`, SSH key parsing; `run` also "
          "writes what a first boot writes. `render` has no cloud-init counterpart and is set against its `fetch`.", "",
          "| seed | step | imprint min / median | cloud-init min / median | speed-up min / median | "
          "CPU user+sys imprint / cloud-init | imprint RSS | cloud-init RSS | RSS ratio | same identity |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for seed, v in d["seed"].items():
        for step, s in v["steps"].items():
            a, b = s["imprint"], s["cloud-init"]
            L.append(f"| {seed} ({v['bytes']} B, {v['keys']} keys) | {step} (vs {s['cloud_init_mode']}) | "
                     f"{ms(a['min_ms'])} / {ms(a['median_ms'])} | {ms(b['min_ms'])} / {ms(b['median_ms'])} | "
                     f"{b['min_ms'] / a['min_ms']:.0f}× / {b['median_ms'] / a['median_ms']:.0f}× | "
                     f"{ms(a['user_ms'] + a['system_ms'])} / {ms(b['user_ms'] + b['system_ms'])} "
                     f"({(b['user_ms'] + b['system_ms']) / (a['user_ms'] + a['system_ms']):.0f}×) | "
                     f"{mib(a['rss_kib'])} | {mib(b['rss_kib'])} | {a['rss_kib'] / b['rss_kib']:.2f} | "
                     f"{'yes' if v['agree'] else 'NO'} |")
    a0 = next(iter(d["seed"].values()))["steps"]["fetch"]
    L += ["", f"Runs per command: imprint {a0['imprint']['runs']}, cloud-init {a0['cloud-init']['runs']} "
          "(after warm-up runs); RSS is the largest of several runs."]
    ns = d["no_source"]
    L += ["", '## "No source here" (empty root)', "",
          "| | min | median | CPU (user+sys, mean) | peak RSS | exit code |", "|---|---|---|---|---|---|"]
    for name, label in (("imprint", "`imprint --root EMPTY detect`"), ("ds-identify", "`PATH_ROOT=EMPTY ds-identify`")):
        r = ns[name]
        L.append(f"| {label} | {ms(r['min_ms'])} | {ms(r['median_ms'])} | {ms(r['user_ms'] + r['system_ms'])} | "
                 f"{mib(r['rss_kib'])} | {r['exit_code']} |")
    L += ["", f"ds-identify took its virtualisation type from the host (`VIRT={ns['ds_identify_virt']}`), which "
          "makes it skip its DMI and block-device probes: the comparison flatters it."]
    L += ["", "## Boot critical path (systemd-nspawn, real PID-1 systemd, seed `small`)", ""]
    if boot:
        n = next(iter(boot.values()))["n"]
        L += [f"Median of {n} boots per guest, interleaved. *host name set* is when the kernel host name became "
              "the seed's name (a 2 ms poller started at sysinit), counted from the start of userspace.", "",
              "| guest | boot finished (userspace) | host name set at | agent units' activation (`blame`, sum) | "
              "agent on `critical-chain` | final host name |", "|---|---|---|---|---|---|"]
        for variant, r in boot.items():
            L.append(f"| {variant} | {ms(r['userspace'])} | {ms(r['hostname'])} | {ms(r['blame'])} | "
                     f"{ms(r['chain']) if r['chain'] is not None else 'n/a'} | {', '.join(r['hostnames'])} |")
        L.append("")
        for variant, r in boot.items():
            if r["units"]:
                L.append(f"- {variant} units (median activation): " +
                         ", ".join(f"`{u}` {ms(v)}" for u, v in r["units"].items()))
            if r["chain_lines"]:
                L.append(f"- {variant} on the critical chain (first boot): " +
                         "; ".join(f"`{l.lstrip('└─│ ')}`" for l in r["chain_lines"]))
            expected = d.get("boot", {}).get("hostname")
            if expected and variant != "baseline" and r["hostnames"] != [expected]:
                L.append(f"- **{variant}: the host name did not stay {expected}**: it was {', '.join(r['hostnames'])} when "
                         "the boot finished (it became the seed's name at the time in the table, then changed back).")
            if r["failed"]:
                L.append(f"- {variant}: failed units: {', '.join(r['failed'])}")
        if boot.get("imprint", {}).get("hostname") and boot.get("cloud-init", {}).get("hostname"):
            L.append(f"- host name set {boot['cloud-init']['hostname'] / boot['imprint']['hostname']:.1f}× sooner "
                     f"with imprint; agent units' activation {boot['cloud-init']['blame'] / boot['imprint']['blame']:.0f}× "
                     "shorter.")
        if "imprint" in boot and "baseline" in boot and boot["baseline"]["userspace"]:
            L += ["", f"Boot time added over the baseline guest (median, noisy): imprint "
                  f"{ms(boot['imprint']['userspace'] - boot['baseline']['userspace'])}, cloud-init "
                  f"{ms(boot['cloud-init']['userspace'] - boot['baseline']['userspace'])}."]
    else:
        L.append(f"Not measured: {json.dumps(d.get('boot'))[:300]}")
    L += ["", "## Microbenchmarks (Google Benchmark, CPU time per iteration)", "", "| benchmark | CPU time |",
          "|---|---|"]
    for b in d["micro"]:
        t = b["cpu_ns"]
        L.append(f"| {b['name']} | {t / 1000:.1f} µs |" if t is not None else f"| {b['name']} | ? |")
    return "\n".join(L) + "\n", boot


def chart(d, boot, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    labels, mine, theirs, rssMine, rssTheirs = [], [], [], [], []
    for seed, v in d["seed"].items():
        for step, s in v["steps"].items():
            labels.append(f"{seed}\n{step}")
            mine.append(s["imprint"]["median_ms"])
            theirs.append(s["cloud-init"]["median_ms"])
            rssMine.append(s["imprint"]["rss_kib"] / 1024)
            rssTheirs.append(s["cloud-init"]["rss_kib"] / 1024)
    x = range(len(labels))
    w = 0.4
    ax = axes[0][0]
    ax.bar([i - w / 2 for i in x], mine, w, label="imprint", color="#2a7ab0")
    ax.bar([i + w / 2 for i in x], theirs, w, label="cloud-init 22.4", color="#d9822b")
    ax.set_yscale("log")
    ax.set_ylabel("wall time, median (ms, log)")
    ax.set_title("seed → host identity")
    ax.set_xticks(list(x), labels, fontsize=7)
    for i, (a, b) in enumerate(zip(mine, theirs)):
        ax.annotate(f"{b / a:.0f}×", (i, b), ha="center", va="bottom", fontsize=7)
    ax.legend()
    ax = axes[0][1]
    ax.bar([i - w / 2 for i in x], rssMine, w, label="imprint", color="#2a7ab0")
    ax.bar([i + w / 2 for i in x], rssTheirs, w, label="cloud-init 22.4", color="#d9822b")
    ax.axhline(max(rssTheirs) / 6, color="grey", ls="--", lw=1, label="1/6 of cloud-init (target)")
    ax.set_ylabel("peak RSS (MiB)")
    ax.set_title("peak memory")
    ax.set_xticks(list(x), labels, fontsize=7)
    ax.set_ylim(0, max(rssTheirs) * 1.35)
    ax.legend(fontsize=8, loc="upper left", ncol=3)
    ax = axes[1][0]
    ns = d["no_source"]
    names = ["imprint detect", "ds-identify"]
    ax.bar(names, [ns["imprint"]["median_ms"], ns["ds-identify"]["median_ms"]], color=["#2a7ab0", "#d9822b"],
           label="median")
    ax.scatter(names, [ns["imprint"]["min_ms"], ns["ds-identify"]["min_ms"]], color="black", zorder=3, label="min")
    ax.axhline(10, color="grey", ls="--", lw=1, label="10 ms target")
    ax.set_ylabel("wall time (ms)")
    ax.set_title('"no source here" on an empty root')
    ax.legend(fontsize=8)
    ax = axes[1][1]
    if boot:
        variants = list(boot)
        vx = range(len(variants))
        w3 = 0.27
        ax.bar([i - w3 for i in vx], [boot[v]["userspace"] or 0 for v in variants], w3, label="boot finished",
               color="#9aa5b1")
        ax.bar(list(vx), [boot[v]["hostname"] or 0 for v in variants], w3, label="host name set",
               color="#3c9d5d")
        ax.bar([i + w3 for i in vx], [boot[v]["blame"] or 0 for v in variants], w3,
               label="agent units' activation (blame)", color="#b05a2a")
        ax.set_xticks(list(vx), variants)
        ax.set_ylabel("ms after userspace start (median)")
        ax.set_title("boot under systemd-nspawn")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "boot tier not measured", ha="center", va="center")
        ax.set_axis_off()
    m = d["machine"]
    fig.suptitle(f"imprint vs cloud-init — {m['date']} — {m['nproc']} × {m['cpu']}, Debian {m['debian']}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    d = json.loads(pathlib.Path(sys.argv[1]).read_text())
    text, boot = markdown(d)
    pathlib.Path(sys.argv[2]).write_text(text)
    chart(d, boot, sys.argv[3])


if __name__ == "__main__":
    main()
