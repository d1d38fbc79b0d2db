#!/usr/bin/python3
"""Charts from ipcbench results files (PNG and SVG), read from the JSON only.

Usage: plot/charts.py RESULTS.json [--with COMPANION.json ...] [MORE.json ...] --out DIR [--dist-size 64]
                      [--dist-placement cross-core]

The first file is the one charted, with the runs of its companions (--with: more sweeps of the same machine, e.g.
a capacity sweep or an `ipcbench multikernel` file); with more files, a side-by-side latency-vs-size chart
compares them.
A chart whose data is not in the JSON is skipped with a one-line note, never an error.
Needs Debian's python3-matplotlib and python3-numpy: run it with /usr/bin/python3.
"""
import argparse
import os
import sys
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipcresults as ir  # noqa: E402

PLACEMENTS = ("same-core", "smt-sibling", "cross-core")
# Deterministic SVG output: no date in the metadata, fixed ids.
matplotlib.rcParams["svg.hashsalt"] = "ipcbench"
matplotlib.rcParams["font.size"] = 9


@dataclass
class Chart:
    name: str
    title: str
    what: str  # one sentence: what the chart shows and how to read it
    paths: list = field(default_factory=list)  # written files (png first, then svg)
    note: str = ""  # non-empty when skipped: why
    remark: str = ""  # something the chart leaves out, e.g. a roofline that is not in the JSON


def skipped(name, title, note):
    return Chart(name=name, title=title, what="", note=note)


# One colour per transport/wait, stable across charts and files.
_COLOURS = {}


def colour(series):
    if series not in _COLOURS:
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"] + ["#333333", "#bcbd22", "#17becf"]
        _COLOURS[series] = cycle[len(_COLOURS) % len(cycle)]
    return _COLOURS[series]


def series_order(rows):
    """transport/wait names in sweep order (first appearance)."""
    seen = []
    for r in sorted(rows, key=lambda r: r.get("id", 0)):
        name = ir.series_name(r)
        if name not in seen:
            seen.append(name)
    return seen


def placements_in(rows):
    present = {r.get("placement") for r in rows}
    return [p for p in PLACEMENTS if p in present] + sorted(p for p in present if p not in PLACEMENTS and p)


def size_axis(ax, sizes):
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(sorted(sizes)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: ir.fmt_size(int(v))))
    ax.set_xlabel("message size (payload bytes, log scale)")


def ns_axis(ax, label):
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: ir.fmt_ns(v)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(label)
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.1)


def rate_axis(ax, unit, label, title):
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: ir.fmt_si(v, unit)))
    ax.set_ylabel(label)
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(title)


def finish(fig, title, footer, out_dir, name):
    fig.suptitle(title, fontsize=11, fontweight="bold")
    fig.text(0.5, 0.005, footer, ha="center", va="bottom", fontsize=7, color="#555555", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    return save(fig, out_dir, name)


def save(fig, out_dir, name):
    """Writes the figure as PNG and SVG (no date in the SVG, so equal data gives equal files) and closes it."""
    paths = []
    for ext in ("png", "svg"):
        path = os.path.join(out_dir, f"{name}.{ext}")
        fig.savefig(path, dpi=110, metadata={"Date": None} if ext == "svg" else None)
        paths.append(path)
    plt.close(fig)
    return paths


def footer_of(files):
    return "\n".join(f.footer() for f in files)


def ci_bars(ax, f, rows, metric, value, c, scale=lambda r: 1.0):
    """Error bars at each row's point: the bootstrap 95% CI of the median of `metric` over its configuration's
    repetitions (summary[]), times scale(row). Returns how many were drawn (0 without repetitions)."""
    drawn = 0
    for r in rows:
        entry = f.summary_of(r) if f else None
        ci = ir.summary_ci(entry, metric) if entry else None
        if not ci:
            continue
        y = value(r)
        lo, hi = ci[1] * scale(r), ci[2] * scale(r)
        ax.errorbar([r["payload_bytes"]], [y], yerr=[[max(0.0, y - lo)], [max(0.0, hi - y)]], fmt="none",
                    ecolor=c, elinewidth=1.2, capsize=3, zorder=3)
        drawn += 1
    return drawn


def ci_note(drawn):
    return ("; bars: bootstrap 95% CI of the median over the repetitions" if drawn else "")


def _latency_panel(ax, rows, placement, legend=True, f=None):
    """One placement's p50 lines and p90..p99 bands; returns how many CI bars it drew."""
    sizes = set()
    bars = 0
    for series in series_order(rows):
        # Several CPU pairs of one placement (--cpus 0:1,1:0, --matrix) share a size: sort on the size alone.
        pts = sorted(((r["payload_bytes"], r["latency"]["rtt_ns"]) for r in rows
                      if ir.series_name(r) == series and r.get("placement") == placement), key=lambda p: p[0])
        if not pts:
            continue
        x = [p[0] for p in pts]
        sizes.update(x)
        c = colour(series)
        ax.plot(x, [p[1]["p50"] for p in pts], marker="o", color=c, label=f"{series} p50")
        ax.fill_between(x, [p[1]["p90"] for p in pts], [p[1]["p99"] for p in pts], color=c, alpha=0.15,
                        linewidth=0)
        bars += ci_bars(ax, f, [r for r in rows if ir.series_name(r) == series and r.get("placement") == placement],
                        "p50_rtt_ns", lambda r: r["latency"]["rtt_ns"]["p50"], c)
    if sizes:
        size_axis(ax, sizes)
    ns_axis(ax, "round-trip time (log scale)")
    ax.set_title(f"{placement}")
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, title="p50 line, p90..p99 band" + ("\nbars: 95% CI of the p50 median" if bars else ""),
                  title_fontsize=7, loc="best")
    return bars


def latency_vs_size(f, out_dir):
    name, title = "latency_vs_size", "Ping-pong round-trip latency vs message size"
    rows = [r for r in f.ok_rows(pattern="pingpong") if (r.get("latency") or {}).get("rtt_ns")]
    if not rows:
        return skipped(name, title, "no ok pingpong rows with latency in the file")
    places = placements_in(rows)
    fig, axes = plt.subplots(1, len(places), figsize=(5.5 * len(places), 4.8), sharey=True, squeeze=False)
    bars = sum(_latency_panel(ax, rows, placement, f=f) for ax, placement in zip(axes[0], places))
    paths = finish(fig, f"{title}\n(p50 line, p90..p99 band{ci_note(bars)}; one panel per CPU placement)",
                   f.footer(), out_dir, name)
    return Chart(name, title, "Median round trip (request + equal-sized reply) per transport/wait strategy; the "
                 "shaded band runs from p90 to p99, so its height shows the tail. Log-log axes."
                 + (" With repetitions the line goes through the median repetition and the error bars show the "
                    "bootstrap 95% confidence interval of the median p50 (summary[])." if bars else ""), paths)


def compare_latency_vs_size(files, out_dir):
    name, title = "compare_latency_vs_size", "Ping-pong round-trip latency vs message size, files side by side"
    if len(files) < 2:
        return skipped(name, title, "only one results file given (pass two or more to compare machines or kernels)")
    shown = files[:4]
    places = sorted({p for f in shown for p in placements_in(f.ok_rows(pattern="pingpong"))},
                    key=lambda p: PLACEMENTS.index(p) if p in PLACEMENTS else 9)
    if not places:
        return skipped(name, title, "no ok pingpong rows in the files")
    fig, axes = plt.subplots(len(places), len(shown), figsize=(5.2 * len(shown), 4.2 * len(places)), sharey=True,
                             squeeze=False)
    for col, f in enumerate(shown):
        rows = [r for r in f.ok_rows(pattern="pingpong") if (r.get("latency") or {}).get("rtt_ns")]
        for row, placement in enumerate(places):
            ax = axes[row][col]
            _latency_panel(ax, rows, placement, legend=(col == 0), f=f)
            ax.set_title(f"{f.label}\n{placement}", fontsize=8)
    note = f" (first {len(shown)} of {len(files)} files)" if len(files) > len(shown) else ""
    paths = finish(fig, f"{title}{note}", footer_of(shown), out_dir, name)
    return Chart(name, title, "The same latency-vs-size chart for each results file, one column per file "
                 "(labelled by host and date), same y axis.", paths)


def throughput_vs_size(f, out_dir):
    name, title = "throughput_vs_size", "Stream throughput vs message size"
    rows = [r for r in f.ok_rows(pattern="stream") if (r.get("throughput") or {}).get("bytes_per_s")]
    if not rows:
        return skipped(name, title, "no ok stream rows in the file")
    memcpy = (f.context.get("floors") or {}).get("memcpy")
    roofline = ir.memcpy_roofline(memcpy)
    places = placements_in(rows)
    fig, axes = plt.subplots(1, len(places), figsize=(5.5 * len(places), 4.8), sharey=True, squeeze=False)
    bars = 0
    for ax, placement in zip(axes[0], places):
        sizes = set()
        for series in series_order(rows):
            mine = [r for r in rows if ir.series_name(r) == series and r.get("placement") == placement]
            pts = sorted((r["payload_bytes"], r["throughput"]["bytes_per_s"]) for r in mine)
            if pts:
                sizes.update(p[0] for p in pts)
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=colour(series), label=series)
                # summary[] carries msgs/s; bytes/s is msgs/s times the payload
                bars += ci_bars(ax, f, mine, "msgs_per_s", lambda r: r["throughput"]["bytes_per_s"], colour(series),
                                scale=lambda r: r["payload_bytes"])
        if roofline:
            ax.plot([p[0] for p in roofline], [p[1] for p in roofline], "k--", label="memcpy roofline")
        if sizes:
            size_axis(ax, sizes)
        rate_axis(ax, "B/s", "payload bytes per second, one way (log scale)", placement)
        ax.legend(fontsize=7, loc="upper left")
    paths = finish(fig, f"{title}\n(first send until the consumer confirmed the last byte{ci_note(bars)})",
                   f.footer(), out_dir, name)
    if roofline:
        roof = (" The dashed line is memcpy on one core (context.floors.memcpy: warm, same two buffers copied "
                "again and again), the roofline for a copy.")
    elif memcpy:
        roof = " context.floors.memcpy is present but holds no {bytes, bytes_per_s} sizes: no roofline drawn."
    else:
        roof = (" No memcpy roofline: the file has no context.floors.memcpy (written by ipcbench versions that "
                "measure floors at the start of every sweep).")
    return Chart(name, title, "One-way payload bytes per second of each stream run, per transport/wait strategy."
                 + (" With repetitions the line goes through the median repetition and the error bars show the "
                    "bootstrap 95% confidence interval of the median (summary[])." if bars else "")
                 + roof, paths, remark="" if roofline else roof.strip())


NINES = [0, 50, 90, 99, 99.9, 99.99, 99.999]


def _nines(pct):
    return -np.log10(1.0 - np.asarray(pct) / 100.0)


def latency_distribution(f, out_dir, size=64, placement=None):
    name = f"latency_distribution_{size}B"
    title = f"Round-trip latency distribution at {ir.fmt_size(size)}"
    rows = [r for r in f.ok_rows(pattern="pingpong", payload_bytes=size)
            if (r.get("latency") or {}).get("histogram", {}).get("count")]
    if placement:
        rows = [r for r in rows if r.get("placement") == placement]
    if not rows:
        where = f" and placement {placement}" if placement else ""
        return skipped(name, title, f"no ok pingpong rows with a histogram at {size} B{where}")
    places = placements_in(rows)
    fig, axes = plt.subplots(1, len(places), figsize=(5.5 * len(places), 4.8), sharey=True, squeeze=False)
    top = 0
    for ax, pl in zip(axes[0], places):
        for series in series_order(rows):
            for r in rows:
                if ir.series_name(r) != series or r.get("placement") != pl:
                    continue
                buckets = ir.histogram_points(r["latency"]["histogram"])
                total = sum(c for _, _, c in buckets)
                cum = np.cumsum([c for _, _, c in buckets]) / total
                # the fraction at or below each bucket; the last (1.0) is drawn at 1 - 1/(2n)
                frac = np.minimum(cum, 1.0 - 0.5 / total)
                x = _nines(frac * 100)
                top = max(top, x[-1])
                ax.step(x, [hi for _, hi, _ in buckets], where="post", color=colour(series),
                        label=f"{series} (n={total})")
        ticks = [t for t in NINES if _nines(t) <= top + 0.01] or [0, 50]
        ax.xaxis.set_major_locator(FixedLocator(_nines(ticks)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"p{100 * (1 - 10 ** -v):.10g}"))
        ax.set_xlabel('percentile (log "nines" scale: p90, p99, p99.9 equally spaced)')
        ns_axis(ax, "round-trip time (log scale)")
        ax.set_title(pl)
        ax.legend(fontsize=7, loc="upper left")
    paths = finish(fig, f"{title}: percentile plot from each row's histogram", f.footer(), out_dir, name)
    return Chart(name, title, f"For each transport/wait at {ir.fmt_size(size)}, the round-trip time (y) below "
                 "which a given share of the samples fell (x, in nines). A flat line is a tight distribution; the "
                 "right end is the tail.", paths)


def placement_bars(f, out_dir):
    name, title = "placement_p50", "Same transport, same-core vs cross-core: p50 round-trip time"
    rows = [r for r in f.ok_rows(pattern="pingpong") if (r.get("latency") or {}).get("rtt_ns")]
    places = placements_in(rows)
    if len(places) < 2:
        return skipped(name, title, f"only one placement in the file ({', '.join(places) or 'none'})")
    sizes = sorted({r["payload_bytes"] for r in rows})
    series = series_order(rows)
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.6 * len(sizes), 4.8), sharey=True, squeeze=False)
    width = 0.8 / len(places)
    hatches = ["", "//", ".."]
    p50s = [r["latency"]["rtt_ns"]["p50"] for r in rows]
    for ax, size in zip(axes[0], sizes):
        for i, pl in enumerate(places):
            vals = []
            for s in series:
                match = [r for r in rows if ir.series_name(r) == s and r["payload_bytes"] == size
                         and r.get("placement") == pl]
                vals.append(match[0]["latency"]["rtt_ns"]["p50"] if match else np.nan)
            xs = np.arange(len(series)) + (i - (len(places) - 1) / 2) * width
            for x, v in zip(xs, vals):
                if np.isnan(v):
                    ax.text(x, min(p50s) / 1.6, "not run", rotation=90, ha="center", va="bottom", fontsize=7)
            ax.bar(xs, vals, width, label=pl,
                   color=[colour(s) for s in series], edgecolor="black", hatch=hatches[i % len(hatches)],
                   alpha=0.9 if i == 0 else 0.55)
        ax.set_xticks(np.arange(len(series)))
        ax.set_xticklabels(series, rotation=35, ha="right")
        ax.set_xlabel("transport/wait strategy")
        ns_axis(ax, "p50 round-trip time (log scale)")
        ax.set_ylim(min(p50s) / 2, max(p50s) * 2)
        ax.set_title(f"{ir.fmt_size(size)} messages")
        ax.legend(fontsize=7, title="placement", title_fontsize=7)
    paths = finish(fig, title, f.footer(), out_dir, name)
    return Chart(name, title, "Grouped bars: for each transport/wait and size, the median round trip with both "
                 "processes on one CPU and on two CPUs (plain bar first placement, hatched second).", paths)


def cpu_vs_latency(f, out_dir, size=64, placement="cross-core"):
    name, title = "cpu_vs_latency", "CPU cost per message next to latency"
    rows = [r for r in f.ok_rows(pattern="pingpong") if (r.get("latency") or {}).get("rtt_ns")
            and ir.cpu_ns_per_msg(r) is not None]
    if not rows:
        return skipped(name, title, "no ok pingpong rows with CPU times in the file")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    markers = {"same-core": "s", "cross-core": "o", "smt-sibling": "^"}
    for s in series_order(rows):
        for pl in placements_in(rows):
            pts = [(r["latency"]["rtt_ns"]["p50"], ir.cpu_ns_per_msg(r)) for r in rows
                   if ir.series_name(r) == s and r.get("placement") == pl]
            if pts:
                left.scatter([p[0] for p in pts], [p[1] for p in pts], color=colour(s),
                             marker=markers.get(pl, "x"), label=f"{s} {pl}", s=28, alpha=0.85)
    lo = min(min(r["latency"]["rtt_ns"]["p50"], ir.cpu_ns_per_msg(r) or 1) for r in rows) / 2
    hi = max(max(r["latency"]["rtt_ns"]["p50"], ir.cpu_ns_per_msg(r)) for r in rows) * 2
    line = np.array([max(lo, 1), hi])
    left.plot(line, line, "k:", linewidth=1, label="CPU = RTT (one CPU busy all the time)")
    left.plot(line, 2 * line, "k--", linewidth=1, label="CPU = 2 x RTT (both CPUs busy)")
    left.set_xscale("log")
    left.xaxis.set_major_formatter(FuncFormatter(lambda v, _: ir.fmt_ns(v)))
    left.set_xlabel("p50 round-trip time (log scale)")
    ns_axis(left, "CPU time per round trip, both processes, user + system (log)")
    left.set_title("every pingpong row (all sizes)")
    left.legend(fontsize=6, ncol=2, loc="upper left")

    sel = [r for r in rows if r["payload_bytes"] == size and r.get("placement") == placement]
    if not sel:
        sel = [r for r in rows if r["payload_bytes"] == min(x["payload_bytes"] for x in rows)]
        size, placement = sel[0]["payload_bytes"], sel[0].get("placement")
        sel = [r for r in sel if r.get("placement") == placement]
    sel.sort(key=lambda r: r.get("id", 0))
    labels = [ir.series_name(r) for r in sel]
    x = np.arange(len(sel))
    parts = [("producer", "user"), ("producer", "sys"), ("consumer", "user"), ("consumer", "sys")]
    bottom = np.zeros(len(sel))
    shades = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78"]
    for (side, kind), shade in zip(parts, shades):
        vals = np.array([r["cpu"][side][f"{kind}_ns_per_msg"] for r in sel])
        right.bar(x - 0.2, vals, 0.4, bottom=bottom, color=shade, label=f"CPU: {side} {kind}")
        bottom += vals
    right.bar(x + 0.2, [r["latency"]["rtt_ns"]["p50"] for r in sel], 0.4, color="#555555", label="p50 RTT")
    right.set_xticks(x)
    right.set_xticklabels(labels, rotation=35, ha="right")
    right.set_xlabel("transport/wait strategy")
    ns_axis(right, "ns per round trip (log scale)")
    right.set_title(f"{ir.fmt_size(size)}, {placement}: CPU per round trip (stacked) vs p50")
    right.legend(fontsize=7, loc="upper left")
    paths = finish(fig, f"{title} (getrusage over the measured phase; the price of spinning)", f.footer(),
                   out_dir, name)
    return Chart(name, title, "Left: each pingpong row's CPU time per round trip (both processes, user + system) "
                 "against its p50; points near the dashed line keep both CPUs busy (spinning). Right: the CPU split "
                 f"by side and kind next to the p50, at {ir.fmt_size(size)} {placement}. The kernel splits user "
                 "from system time by sampling, so read the sum.", paths)


def capacity_label(cap):
    """capacity_requested as the axis says it: 0 is the rendezvous, "unbounded" as is."""
    return "0 (rendezvous)" if cap == 0 else str(cap)


def throughput_vs_capacity(f, out_dir):
    name, title = "throughput_vs_capacity", "Stream throughput vs buffer capacity"
    rows = [r for r in f.ok_rows(pattern="stream", all_capacities=True) if r.get("capacity_requested") is not None
            and (r.get("throughput") or {}).get("msgs_per_s")]
    caps = {r["capacity_requested"] for r in rows}
    if len(caps) < 2:
        return skipped(name, title, "the file has no sweep over --capacity (ok stream rows at fewer than 2 "
                       "capacity_requested values)")
    bounded = sorted(c for c in caps if isinstance(c, int) and c > 0)
    lo, hi = (bounded[0], bounded[-1]) if bounded else (1, 1)
    # 0 and "unbounded" have no place on a log axis: they sit one step (x4) beyond the smallest and largest count.
    pos = {c: c for c in bounded}
    pos[0] = lo / 4
    pos["unbounded"] = hi * 4
    sizes = sorted({r["payload_bytes"] for r in rows})
    styles = ["-", "--", ":", "-."]
    places = placements_in(rows)
    fig, axes = plt.subplots(1, len(places), figsize=(max(8.0, 5.8 * len(places)), 5.0), sharey=True,
                             squeeze=False)
    for ax, placement in zip(axes[0], places):
        for series in series_order(rows):
            for i, size in enumerate(sizes):
                pts = sorted((pos[r["capacity_requested"]], r["throughput"]["msgs_per_s"],
                              (r.get("effective") or {}).get("rendezvous") or "") for r in rows
                             if ir.series_name(r) == series and r.get("placement") == placement
                             and r["payload_bytes"] == size and r["capacity_requested"] in pos)
                if not pts:
                    continue
                label = series + (f" {ir.fmt_size(size)}" if len(sizes) > 1 else "")
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", linestyle=styles[i % len(styles)],
                        color=colour(series), label=label)
                # an emulated rendezvous is an ack per message: a hollow marker says so
                emulated = [p for p in pts if p[2].startswith("emulated")]
                if emulated:
                    ax.scatter([p[0] for p in emulated], [p[1] for p in emulated], s=60, facecolors="white",
                               edgecolors=colour(series), zorder=3)
        ticks = sorted((c for c in caps if c in pos), key=lambda c: pos[c])
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator([pos[c] for c in ticks]))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: next((capacity_label(c) for c in ticks if abs(pos[c] - v) < 1e-9 * max(v, 1)), "")))
        for label in ax.get_xticklabels():
            label.set_rotation(20)
        ax.set_xlabel("--capacity, messages per direction (log scale; 0 and unbounded drawn at the ends)")
        rate_axis(ax, "msg/s", "messages per second, one way (log scale)", placement)
        ax.legend(fontsize=7, loc="best")
    paths = finish(fig, f"{title} (one way; hollow: emulated rendezvous)", f.footer(),
                   out_dir, name)
    return Chart(name, title, "One-way messages per second of each stream run against the --capacity it asked for, "
                 "one line per transport/wait" + (" and message size" if len(sizes) > 1 else "") + ". Capacity 0 "
                 "is a rendezvous (send returns once the consumer has taken the message); a hollow marker means "
                 "the transport has no such mode and the harness emulated it with an acknowledgement per message. "
                 "'unbounded' is the largest buffer each transport gets here (effective.unbounded_means: e.g. only "
                 "fs.mqueue.msg_max messages for mq). What the kernel granted is in each row's effective.", paths)


def floor_heatmap(f, out_dir):
    name, title = "floor_heatmap", "Core-pair heatmap of the cache-line floor"
    floors = [x for x in (f.context.get("floors") or {}).get("cacheline_pingpong", [])
              if x.get("status") == "ok" and x.get("when") == "before"]
    cpus = sorted({c for x in floors for c in (x["cpus"]["producer"], x["cpus"]["consumer"])})
    if len(cpus) < 3:
        return skipped(name, title, f"needs a core-pair matrix over at least 3 CPUs; the file has floors for "
                       f"{len(floors)} CPU pair(s) over CPUs {cpus}")
    grid = np.full((len(cpus), len(cpus)), np.nan)
    for x in floors:
        grid[cpus.index(x["cpus"]["producer"]), cpus.index(x["cpus"]["consumer"])] = x["rtt_ns"]["p50"]
    fig, ax = plt.subplots(figsize=(6, 5))
    im = ax.imshow(grid, cmap="viridis")
    fig.colorbar(im, ax=ax, label="p50 round trip of one cache line (ns)")
    ax.set_xticks(range(len(cpus)))
    ax.set_xticklabels(cpus)
    ax.set_yticks(range(len(cpus)))
    ax.set_yticklabels(cpus)
    ax.set_xlabel("consumer CPU")
    ax.set_ylabel("producer CPU")
    paths = finish(fig, title, f.footer(), out_dir, name)
    return Chart(name, title, "p50 round trip of one cache line between each pair of CPUs (the hardware floor).",
                 paths)


# Short labels for the pair classes written into heatmap cells (context.topology, runs[].placement_class).
CLASS_ABBREV = {"same-core": "same", "smt-sibling": "SMT", "shared-l2": "L2", "shared-llc": "LLC",
                "cross-llc": "xLLC", "cross-numa": "xNUMA", "cross-socket": "xSock", "cross-core": "xcore"}


def core_pair_heatmap(f, out_dir):
    """One heatmap per matrix in the file's `matrix` (each transport/wait/size, then the cache-line floor)."""
    name, title = "core_pair_heatmap", "Core-pair matrix: p50 round trip for every producer/consumer CPU pair"
    m = f.data.get("matrix")
    if not m:
        return skipped(name, title, "no core-pair matrix in the file (run ipcbench --matrix)")
    cpus = m.get("cpus") or []
    panels = [(f"{t['transport']}/{t['wait']} {ir.fmt_size(t['payload_bytes'])} ping-pong", t.get("cells") or [])
              for t in m.get("transports") or []]
    panels.append(("cache-line floor (before the sweep)", m.get("floor_cells") or []))
    panels = [(label, cells) for label, cells in panels if cells]
    if not cpus or not panels:
        return skipped(name, title, "the file's matrix has no measured cells")
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Patch

    def grid_of(cells):
        grid = np.full((len(cpus), len(cpus)), np.nan)
        values = {}
        for c in cells:
            if c["producer"] in cpus and c["consumer"] in cpus:
                values.setdefault((c["producer"], c["consumer"]), []).append(c["p50_ns"])
        for (p, c), v in values.items():
            grid[cpus.index(p), cpus.index(c)] = float(np.median(v))  # repetitions: their median
        return grid

    grids = [grid_of(cells) for _, cells in panels]
    finite = np.concatenate([g[np.isfinite(g)] for g in grids])
    norm = LogNorm(vmin=max(float(finite.min()), 1.0), vmax=max(float(finite.max()), float(finite.min()) * 1.01, 2.0))
    classes = {}
    for _, cells in panels:
        for c in cells:
            classes[(c["producer"], c["consumer"])] = c.get("class", "")
    cols = min(len(panels), 3)
    rows = (len(panels) + cols - 1) // cols
    side = 3.0 + 0.35 * len(cpus)
    fig, axes = plt.subplots(rows, cols, figsize=(side * cols + 1.5, side * rows + 1.2), squeeze=False)
    annotate = len(cpus) <= 8
    for ax, (label, _), grid in zip(axes.flat, panels, grids):
        im = ax.imshow(grid, cmap="viridis", norm=norm)
        ticks = range(len(cpus))
        step = max(1, len(cpus) // 16)
        ax.set_xticks(list(ticks)[::step])
        ax.set_xticklabels(cpus[::step])
        ax.set_yticks(list(ticks)[::step])
        ax.set_yticklabels(cpus[::step])
        ax.set_xlabel("consumer CPU")
        ax.set_ylabel("producer CPU")
        ax.set_title(label, fontsize=9)
        if annotate:
            for i, p in enumerate(cpus):
                for j, c in enumerate(cpus):
                    if np.isfinite(grid[i, j]):
                        bright = norm(grid[i, j]) > 0.6
                        ax.text(j, i, f"{ir.fmt_ns(grid[i, j])}\n{CLASS_ABBREV.get(classes.get((p, c)), '')}",
                                ha="center", va="center", fontsize=7, color="black" if bright else "white")
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.colorbar(im, ax=axes.ravel().tolist(), label="p50 round trip (ns, log scale)", shrink=0.8)
    present = [c for c in CLASS_ABBREV if c in set(classes.values())]
    if annotate and present:
        fig.legend(handles=[Patch(facecolor="none", edgecolor="none", label=f"{CLASS_ABBREV[c]} = {c}") for c in present],
                   loc="upper left", fontsize=7, title="pair class (cell label)", title_fontsize=7, frameon=False)
    sampled = f" ({m.get('pairs_measured')} of {m.get('pairs_total')} pairs, sampled per class)" if m.get("sampled") else ""
    fig.suptitle(title + sampled, fontsize=11, fontweight="bold")
    fig.text(0.5, 0.005, f.footer(), ha="center", va="bottom", fontsize=7, color="#555555", wrap=True)
    paths = save(fig, out_dir, name)  # no tight_layout: it cannot place the shared colour bar
    missing = sum(len(t.get("missing") or []) for t in m.get("transports") or [])
    return Chart(name, title, "Median p50 round trip of a cache-line-sized ping-pong for every ordered CPU pair "
                 "(producer row, consumer column) of ipcbench --matrix, one panel per transport/wait and one for "
                 "the raw cache-line floor, on one log colour scale. The diagonal is one CPU (every hand-over a "
                 "context switch); the cell label names the pair's topology class. Blank cells were not measured.",
                 paths, remark=f"{missing} cell(s) failed or were skipped (matrix.transports[].missing)" if missing
                 else "")
def latency_vs_offered_load(f, out_dir):
    """rate_curves[]: p50 and p99 one-way latency (from each message's intended send time) against the offered
    load, one line per transport/wait, the knee marked, the closed-loop round-trip p99 as a dotted reference."""
    name, title = "latency_vs_offered_load", "Open-loop latency vs offered load (pattern rate)"
    curves = f.data.get("rate_curves") or []
    if not curves:
        return skipped(name, title, "no rate curves in the file (run with --patterns rate; rate_curves[])")
    panels = sorted({(c["payload_bytes"], c["placement"]) for c in curves},
                    key=lambda k: (k[0], PLACEMENTS.index(k[1]) if k[1] in PLACEMENTS else 9))
    by_fraction = all(p.get("load") is not None for c in curves for p in c["points"])
    fig, axes = plt.subplots(1, len(panels), figsize=(max(9.0, 6.5 * len(panels)), 5.5), squeeze=False)
    for ax, (size, placement) in zip(axes[0], panels):
        for c in curves:
            if (c["payload_bytes"], c["placement"]) != (size, placement):
                continue
            series = ir.series_name(c)
            col = colour(series)
            x = [p["load"] if by_fraction else p["offered_msgs_per_s"] for p in c["points"]]
            ax.plot(x, [p["p99_ns"] for p in c["points"]], marker="o", color=col, label=f"{series} p99")
            ax.plot(x, [p["p50_ns"] for p in c["points"]], linestyle="--", color=col, alpha=0.7,
                    label=f"{series} p50")
            if c.get("knee"):
                k = c["knee"]["index"]
                ax.plot([x[k]], [c["points"][k]["p99_ns"]], marker="X", markersize=12, color=col,
                        markeredgecolor="black", linestyle="none", label=f"{series} knee")
            if c.get("closed_loop"):
                ax.axhline(c["closed_loop"]["rtt_p99_ns"], color=col, linestyle=":", linewidth=1.2,
                           label=f"{series} closed-loop RTT p99")
        ns_axis(ax, "one-way latency from the intended send time (log scale)")
        if by_fraction:
            ax.set_xlabel("offered load (fraction of the same configuration's stream msgs/s)")
        else:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: ir.fmt_si(v, "msg/s")))
            ax.set_xlabel("offered rate (messages per second, log scale)")
        ax.set_title(f"{ir.fmt_size(size)} messages, {placement}")
        ax.legend(fontsize=6, loc="upper left", ncol=2)
    paths = finish(fig, f"{title}\np99 solid, p50 dashed, X = knee, dotted = closed-loop pingpong round-trip p99",
                   f.footer(), out_dir, name)
    rule = curves[0].get("knee_rule", "")
    return Chart(name, title, "Each message is sent at its scheduled time (t0 + i/rate) whatever happened before, and "
                 "its latency is counted from that time, so a stall delays every message behind it instead of "
                 "being hidden (no coordinated omission). Lines: p99 and p50 per transport/wait over the offered "
                 f"loads; the X marks the knee ({rule}); the dotted line is the closed-loop pingpong round-trip "
                 "p99 of the same configuration, where the file has one.", paths)


# The ring ablation ladder, then the toggles on the last step, then the copy ceiling (`--transports ablation`).
ABLATION_ORDER = ["shm-naive", "shm-padded", "shm-cached", "shm-batched", "shm-slotseq", "shm-2seq", "shm-slip",
                  "shm-slip-packed", "shm-prefetch", "shm-quarter", "shm-unstaged", "shm", "shm-packed",
                  "shm-zerocopy", "shm-adjacent"]
IN_PLACE = " in place"  # a design's round trips answered in place get a bar of their own (_ablation_design)


def _ablation_colours(designs):
    """The ladder from light to dark (one colormap, so the order reads at a glance), the toggles in grey."""
    ladder = [d for d in designs if d in ABLATION_ORDER[:ABLATION_ORDER.index("shm") + 1]]
    cmap = plt.get_cmap("viridis")
    out = {d: cmap(0.92 - 0.85 * i / max(len(ladder) - 1, 1)) for i, d in enumerate(ladder)}
    for d in designs:  # a design's round trips in place: its colour (the bar beside it says in place)
        if d.endswith(IN_PLACE) and d[:-len(IN_PLACE)] in out:
            out[d] = out[d[:-len(IN_PLACE)]]
    greys = ["#9e9e9e", "#6e6e6e", "#4a4a4a", "#bdbdbd"]
    for i, d in enumerate(d for d in designs if d not in out):
        out[d] = greys[i % len(greys)]
    return [out[d] for d in designs]


def _ablation_rows(f, placement):
    rows = [r for r in f.ok_rows(wait="spin", placement=placement) if r.get("ring")]
    return rows if len({r["transport"] for r in rows}) >= 2 else []


def _ablation_design(r):
    """A bar per design; a round trip that answered in place (reply_line shared, one line both sides write) is a bar
    of its own beside its design's, since no other design can do it and its floor's pattern is the one it uses."""
    shared = (r.get("reply_line") or {}).get("line") == "shared"
    return r["transport"] + (IN_PLACE if shared else "")


def ring_ablation(f, out_dir):
    name, title = "ring_ablation", "shm ring design ablation"
    places = [p for p in ("cross-core", "smt-sibling", "same-core") if _ablation_rows(f, p)]
    if not places:
        return skipped(name, title, "no ring-ablation rows in the file: needs two or more shm ring designs with "
                       "--wait spin (run --transports ablation)")
    placement = places[0]
    rows = _ablation_rows(f, placement)
    present = {_ablation_design(r) for r in rows}
    designs = [v for d in ABLATION_ORDER for v in (d, d + IN_PLACE) if v in present]
    designs += sorted(present - set(designs))
    sizes = sorted({r["payload_bytes"] for r in rows})
    def ceiling(name):  # {size: median msgs/s} of a copy-in/copy-out baseline's stream rows
        base_rows = f.ok_rows(transport=name, pattern="stream", placement=placement)
        return {n: float(np.median([r["throughput"]["msgs_per_s"] for r in base_rows if r["payload_bytes"] == n]))
                for n in {r["payload_bytes"] for r in base_rows}}
    baselines = [(ceiling("shm-rawcopy"), ":", "shm-rawcopy: memcpy in and out, no synchronisation"),
                 (ceiling("shm-rawcopy-follow"), "-.",
                  "shm-rawcopy-follow: the same, the consumer behind the producer's count")]
    fig, axes = plt.subplots(2, len(sizes), figsize=(max(5.0 * len(sizes), 6.5), 7.5), squeeze=False)
    x = np.arange(len(designs))
    colours = _ablation_colours(designs)
    edges = ["black" if d in ("shm", "shm" + IN_PLACE) else "none" for d in designs]  # the `shm` shipped, outlined

    def ticks(ax):
        ax.set_xticks(x)
        ax.set_xticklabels(designs, rotation=35, ha="right", fontsize=7)
        for label in ax.get_xticklabels():
            if label.get_text() in ("shm", "shm" + IN_PLACE):
                label.set_fontweight("bold")

    for col, size in enumerate(sizes):
        # Repetitions (--repetitions R): the median of each figure over them.
        def med(design, pattern, get):
            vals = [get(r) for r in rows if r["payload_bytes"] == size and _ablation_design(r) == design
                    and r["pattern"] == pattern]
            vals = [v for v in vals if v is not None]
            return float(np.median(vals)) if vals else np.nan

        rtt = lambda key: lambda r: ((r.get("latency") or {}).get("rtt_ns") or {}).get(key)
        # Top: pingpong p50 with the p99 as a thin bar behind it.
        ax = axes[0][col]
        p50 = [med(d, "pingpong", rtt("p50")) for d in designs]
        p99 = [med(d, "pingpong", rtt("p99")) for d in designs]
        ax.bar(x, p99, width=0.8, color="#dddddd", label="p99")
        ax.bar(x, p50, width=0.5, color=colours, edgecolor=edges, linewidth=1.2, label="p50")
        floor = [med(d, "pingpong", lambda r: ((r.get("floor") or {}).get("rtt_ns") or {}).get("p50")) for d in designs]
        floor = [v for v in floor if v == v]
        if floor:
            ax.axhline(float(np.median(floor)), color="k", linestyle="--", linewidth=1,
                       label="cache-line floor (median of the adjacent floors)")
        # p50 is what the designs differ in; a p99 many times higher is cut at the top and written out.
        top = np.nanmax(p50 + [v for v in floor]) * 2.2 if any(v == v for v in p50) else None
        ax.set_ylim(0, top)
        if top:
            for xi, v in zip(x, p99):
                if v == v and v > top:
                    ax.annotate(f"p99 {ir.fmt_ns(v)}", (xi, top), ha="center", va="top", fontsize=6, rotation=90)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: ir.fmt_ns(v)))
        ax.set_ylabel("ping-pong round-trip time (ns, us)")
        ax.set_title(f"{ir.fmt_size(size)} ping-pong, {placement}")
        ax.set_xlabel("shm ring design (simplest first)")
        ticks(ax)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
        # Bottom: stream msgs/s, the raw-copy ceiling as a line.
        ax = axes[1][col]
        rate = [med(d, "stream", lambda r: (r.get("throughput") or {}).get("msgs_per_s")) for d in designs]
        ax.bar(x, rate, width=0.6, color=colours, edgecolor=edges, linewidth=1.2)
        for xi, v in zip(x, rate):
            if v == v:  # not NaN
                ax.annotate(ir.fmt_si(v * size, "B/s"), (xi, v), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=5.5, rotation=90)
        for baseline, style, label in baselines:
            if size in baseline:
                ax.axhline(baseline[size], color="k", linestyle=style, linewidth=1, label=label)
        if any(size in b for b, _, _ in baselines):
            ax.legend(fontsize=7, loc="lower left")
        ax.set_ylim(0, np.nanmax(rate + [b.get(size, 0) for b, _, _ in baselines]) * 1.3)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: ir.fmt_si(v, "msg/s")))
        ax.set_ylabel("stream messages per second (msg/s; labels: bytes/s)")
        ax.set_title(f"{ir.fmt_size(size)} stream, {placement}")
        ax.set_xlabel("shm ring design (simplest first)")
        ticks(ax)
        ax.grid(True, axis="y", alpha=0.3)
    paths = finish(fig, f"{title}: what each step saves in coherence traffic (spin, {placement})", f.footer(),
                   out_dir, name)
    return Chart(name, title, "One shm ring design per bar, simplest first: naive (Lamport, both indices on one "
                 "line, read every time), padded indices, cached indices, batched publication, per-slot sequence "
                 "words (slotseq), a second word after a message that spills a line (2seq), a consumer that trails a "
                 "streaming producer (slip), slots packed within a line and the tail published in batches "
                 "(slip-packed), prefetching the batch it trails (prefetch), then shm (outlined: prefetch with each "
                 "57 B-1 KiB payload two lines after its sequence word in a one-way ring; \"shm in place\": its round trips "
                 "that answered on one line both sides write, reply_line shared), then, in grey, slotseq "
                 "with packed slots (false sharing) and with zero-copy, and shm with the payload on the word's "
                 "adjacent line. Top: ping-pong p50 (coloured) and p99 (grey) round trips against the cache-line "
                 "floor; bottom: stream messages per second against the copy-in/copy-out ceilings (shm-rawcopy, whose "
                 "consumer may copy out other laps' data, and shm-rawcopy-follow, which moves every payload across "
                 "but pays a shared count per message at small sizes). Medians over repetitions. Same harness, "
                 "waits and payload for all.", paths)


def mailbox_fairness(f, out_dir):
    """Mailbox: aggregate throughput per (producers, consumers) and each consumer's share of the messages."""
    name, title = "mailbox_fairness", "Mailbox: P producers and C consumers sharing one mailbox"
    rows = [r for r in f.ok_rows(pattern="mailbox") if r.get("mailbox", {}).get("per_consumer")]
    if not rows:
        return skipped(name, title, "no ok mailbox rows in the file (pattern \"mailbox\")")
    sizes = sorted({r["payload_bytes"] for r in rows})
    size = max(sizes, key=lambda s: (sum(r["payload_bytes"] == s for r in rows), -s))
    rows = [r for r in rows if r["payload_bytes"] == size]
    shape = lambda r: (r["mailbox"]["producers"], r["mailbox"]["consumers"])  # noqa: E731
    shapes = sorted({shape(r) for r in rows})
    series = series_order(rows)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [1, 1.3]})
    width = 0.8 / max(1, len(series))
    for i, s in enumerate(series):
        by_shape = {shape(r): r["throughput"]["msgs_per_s"] for r in rows if ir.series_name(r) == s}
        xs = [k + (i - (len(series) - 1) / 2) * width for k, sh in enumerate(shapes) if sh in by_shape]
        left.bar(xs, [by_shape[sh] for sh in shapes if sh in by_shape], width, color=colour(s), label=s)
    left.set_xticks(range(len(shapes)), [f"{p}P\u2192{c}C" for p, c in shapes])
    left.set_xlabel("producers \u2192 consumers (processes)")
    rate_axis(left, "msg/s", "messages per second, all producers together (log scale)", "aggregate throughput")
    left.set_ylim(top=4 * max(r["throughput"]["msgs_per_s"] for r in rows))  # room for the legend
    left.legend(fontsize=7, loc="upper left", ncol=2)

    # Right: one stacked bar per transport/wait and shape with several consumers: each consumer's share.
    bars = [(s, sh, r) for s in series for sh in shapes if sh[1] > 1
            for r in rows if ir.series_name(r) == s and shape(r) == sh]
    greys = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]
    for x, (s, sh, r) in enumerate(bars):
        bottom = 0.0
        for c, share in enumerate(r["mailbox"]["fairness"]["shares"]):
            right.bar(x, share, 0.7, bottom=bottom, color=greys[c % len(greys)], edgecolor="white",
                      label=f"consumer {c}")
            bottom += share
        right.text(x, 1.01, f"J={r['mailbox']['fairness']['jain_index']:.2f}", ha="center", va="bottom", fontsize=7)
    if bars:
        right.set_xticks(range(len(bars)), [f"{s} {p}P\u2192{c}C" for s, (p, c), _ in bars], fontsize=7,
                         rotation=30, ha="right")
        right.axhline(1 / max(sh[1] for _, sh, _ in bars), color="k", linestyle=":", linewidth=0.8)
        handles, labels = right.get_legend_handles_labels()
        uniq = dict(zip(labels, handles))
        right.legend(uniq.values(), uniq.keys(), fontsize=7, loc="lower right")
    else:
        right.text(0.5, 0.5, "no run with two or more consumers", ha="center", va="center",
                   transform=right.transAxes)
    right.set_ylim(0, 1.12)
    right.set_ylabel("share of the messages received (fraction)")
    right.set_xlabel("transport/wait, producers \u2192 consumers")
    right.set_title("who got the messages (J = Jain's index, 1 = equal shares)")
    paths = finish(fig, f"{title}, {ir.fmt_size(size)} messages", f.footer(), out_dir, name)
    other = [s for s in sizes if s != size]
    return Chart(name, title, "Left: aggregate messages per second for each producers/consumers shape and "
                 "transport/wait. Right: each consumer's share of the messages in runs with several consumers; the "
                 "dotted line is an equal share.", paths,
                 remark=f"only {ir.fmt_size(size)} messages charted; the file also has "
                        f"{', '.join(ir.fmt_size(s) for s in other)}" if other else "")


# Charts that later issues add data for. Each: (name, title, test for the data, note when it is absent).
FUTURE = [
]


def future_charts(f):
    out = []
    for name, title, present, note in FUTURE:
        if present(f):
            out.append(skipped(name, title, "data present but this version of plot/ has no chart for it yet"))
        else:
            out.append(skipped(name, title, note))
    return out


def all_charts(files, out_dir, dist_size=64, dist_placement=None):
    """Every chart for files[0] (and the comparison across files); returns [Chart], skipped ones with a note."""
    os.makedirs(out_dir, exist_ok=True)
    f = files[0]
    charts = [
        latency_vs_size(f, out_dir),
        throughput_vs_size(f, out_dir),
        latency_distribution(f, out_dir, dist_size, dist_placement),
        placement_bars(f, out_dir),
        cpu_vs_latency(f, out_dir, size=dist_size),
        compare_latency_vs_size(files, out_dir),
        floor_heatmap(f, out_dir),
        core_pair_heatmap(f, out_dir),
        throughput_vs_capacity(f, out_dir),
        ring_ablation(f, out_dir),
        latency_vs_offered_load(f, out_dir),
        mailbox_fairness(f, out_dir),
    ]
    import multikernel  # here, not at the top: plot/multikernel.py imports this module's helpers
    charts.append(multikernel.multikernel_chart(f, out_dir))
    return charts + future_charts(f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+", help="results JSON files; the first is charted, all are compared")
    ap.add_argument("--with", dest="companions", action="append", default=[], metavar="COMPANION.json",
                    help="a companion file of the first file's machine (repeatable): its runs join the first file's")
    ap.add_argument("--out", required=True, help="directory for the PNG and SVG files")
    ap.add_argument("--dist-size", type=int, default=64, help="message size for the distribution chart (bytes)")
    ap.add_argument("--dist-placement", default=None, help="placement for the distribution chart (default: all)")
    args = ap.parse_intermixed_args(argv)
    files = [ir.ResultsFile(p) for p in args.results]
    try:
        for c in args.companions:
            files[0].join(ir.ResultsFile(c))
    except ValueError as e:
        ap.error(str(e))
    for c in all_charts(files, args.out, args.dist_size, args.dist_placement):
        if c.note:
            print(f"skipped {c.name}: {c.note}")
        else:
            print(f"wrote {', '.join(c.paths)}" + (f" (note: {c.remark})" if c.remark else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
