#!/usr/bin/python3
"""The Multikernel paper's Fig. 3 from an `ipcbench multikernel` file (kind "multikernel"), PNG and SVG.

Usage: plot/multikernel.py RESULTS.json --out DIR

Left: cost of one update of n shared cache lines against the number of cores k, one line per method and n
(median over processes and trials, bars min..max), and the server's own per-update cost. Right: aggregate
updates per second, with what the server alone could serve (1 / its per-update cost). plot/charts.py calls
multikernel_chart() for every file, so the report includes it, drawn from the file itself or from its multikernel
companion (plot/report.py --with); a file without multikernel points skips it.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charts as ch  # noqa: E402
import ipcresults as ir  # noqa: E402

NAME = "multikernel"
TITLE = "Multikernel Fig. 3: updating shared cache lines, by shared memory or by messages to one server"
# One colour map per method, darker for more lines n.
CMAPS = {"shm-store": "Blues", "shm-atomic": "Oranges", "msg": "Greens", "server": "Greys"}
LABELS = {"shm-store": "SHM store", "shm-atomic": "SHM atomic", "msg": "MSG client", "server": "MSG server"}
MARKERS = {"shm-store": "o", "shm-atomic": "s", "msg": "^", "server": "D"}


def points_of(f):
    """The ok points of a multikernel file, or of a file's multikernel companion ([] without one)."""
    if f.multikernel is None:
        return []
    return [p for p in f.multikernel.data.get("points", [])
            if p.get("per_op_ns") and p.get("status") in ("ok", "failed")]


def _shade(method, n, lines):
    cmap = plt.get_cmap(CMAPS[method])
    i = sorted(lines).index(n)
    return cmap(0.45 + 0.5 * i / max(1, len(lines) - 1))


def _series(points, method, n, key):
    # A median of 0 (a server cost below what the clock can tell, less its read cost) has no place on a log axis.
    pts = sorted((p["k"], p[key]) for p in points if p["method"] == method and p["n"] == n and p.get(key)
                 and p[key]["median"] > 0)
    return [k for k, _ in pts], [s["median"] for _, s in pts], [s["min"] for _, s in pts], [s["max"] for _, s in pts]


def _draw(ax, x, med, lo, hi, colour, marker, label, dashed=False):
    ax.errorbar(x, med, yerr=[[m - a for m, a in zip(med, lo)], [b - m for m, b in zip(med, hi)]],
                color=colour, marker=marker, markersize=4, linewidth=1.4, capsize=2,
                linestyle="--" if dashed else "-", label=label)


def multikernel_chart(f, out_dir):
    points = points_of(f)
    if not points:
        why = ("not a multikernel file (kind \"multikernel\"; run `ipcbench multikernel`, or give its file with "
               "--with)" if f.multikernel is None else "the file has no measured multikernel point")
        return ch.skipped(NAME, TITLE, why)
    f = f.multikernel
    params = f.data.get("parameters", {})
    lines = sorted({p["n"] for p in points})
    ks = sorted({p["k"] for p in points})
    methods = [m for m in ("shm-store", "shm-atomic", "msg") if any(p["method"] == m for p in points)]
    fig, (cost, rate) = plt.subplots(1, 2, figsize=(13, 5.6))
    for method in methods:
        for n in lines:
            x, med, lo, hi = _series(points, method, n, "per_op_ns")
            if x:
                _draw(cost, x, med, lo, hi, _shade(method, n, lines), MARKERS[method], f"{LABELS[method]}, n={n}")
            x, med, lo, hi = _series(points, method, n, "updates_per_s")
            if x:
                _draw(rate, x, med, lo, hi, _shade(method, n, lines), MARKERS[method], f"{LABELS[method]}, n={n}")
    if "msg" in methods:
        for n in lines:
            x, med, lo, hi = _series(points, "msg", n, "server_per_update_ns")
            if not x:
                continue
            colour = _shade("server", n, lines)
            _draw(cost, x, med, lo, hi, colour, MARKERS["server"], f"{LABELS['server']} per update, n={n}",
                  dashed=True)
            # What the server alone could serve: one update every server_per_update_ns.
            rate.plot(x, [1e9 / m for m in med], color=colour, marker=MARKERS["server"], markersize=4,
                      linestyle="--", linewidth=1.2, label=f"server capacity (1 / per-update cost), n={n}")
    for ax in (cost, rate):
        ax.set_xlabel("cores k (msg: k-1 clients + 1 server; at k=1 the server alone)")
        ax.xaxis.set_major_locator(FixedLocator(ks))
        ax.set_xlim(min(ks) - 0.3, max(ks) + 0.3)
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=6.5, ncol=2, loc="best")
    cost.yaxis.set_major_formatter(FuncFormatter(lambda v, _: ir.fmt_ns(v)))
    cost.set_ylabel("cost per update of all n lines (ns, log; median, bars min..max)")
    cost.set_title("per-operation cost (msg: the client's synchronous round trip)")
    rate.yaxis.set_major_formatter(FuncFormatter(lambda v, _: ir.fmt_si(v, "upd/s")))
    rate.set_ylabel("aggregate updates per second (log)")
    rate.set_title("throughput of all processes together")
    cycles = f.context.get("cycles", {})
    mode = (f"{params.get('ops_per_point')} updates per process" if params.get("mode") == "ops"
            else f"{params.get('duration_s')} s per trial")
    footer = (f"{f.footer()}\n{mode}, {params.get('repetitions')} trials per point, cpus {params.get('cpus')}; "
              + ("cycles counted (per_op_cycles in the JSON)" if cycles.get("available")
                 else "no cycle counter here: ns only"))
    paths = ch.finish(fig, TITLE, footer, out_dir, NAME)
    return ch.Chart(NAME, TITLE, "Baumann et al. (SOSP 2009) Fig. 3 on this machine. Left: ns per update of n "
                    "shared lines against cores k, shared memory (plain stores, atomic increments) and message "
                    "passing (a client's round trip to the server owning the lines), with the server's own cost "
                    "per update dashed. Right: updates per second of all processes together, and what the server "
                    "alone could serve. The paper saw SHM rise with cores and lines, MSG nearly flat, and the "
                    "server's capacity beat all shared-memory cores combined.", paths)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", help="an `ipcbench multikernel` results file")
    ap.add_argument("--out", required=True, help="directory for the PNG and SVG files")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    c = multikernel_chart(ir.ResultsFile(args.results), args.out)
    print(f"skipped {c.name}: {c.note}" if c.note else f"wrote {', '.join(c.paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
