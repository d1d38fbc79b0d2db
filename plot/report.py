#!/usr/bin/python3
"""One self-contained HTML report from ipcbench results files: environment, findings, every chart, claim verdicts.

Usage: plot/report.py RESULTS.json [--with COMPANION.json ...] [MORE.json ...] --out DIR
                      [--claims plot/claims.json] [--dist-size 64] [--dist-placement cross-core]

Writes DIR/report.html (images embedded as data URIs, so the file stands alone), the charts as PNG and SVG next to
it, and DIR/verdicts.json. The first file is reported in full. --with names companion files of the same machine
(a capacity sweep, an `ipcbench multikernel` file; ./setup.sh run writes both): their runs join the first file's
for the charts and the claims. More positional files are other machines or kernels: compared side by side, and
they widen the claims' intervals (min..max over the files). Reads the JSON only. Run it with /usr/bin/python3
(Debian's matplotlib).
"""
import argparse
import base64
import html
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charts as ch  # noqa: E402
import claims as cl  # noqa: E402
import ipcresults as ir  # noqa: E402

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f0f0f0; }
.supported { background: #d8f5d0; } .refuted { background: #f8d4d4; } .inconclusive { background: #f3ecc8; }
.warning { color: #8a4b00; }
img { max-width: 100%; border: 1px solid #ddd; }
.note { color: #555; font-size: 0.9em; }
"""

# After loading, count the images that decoded (naturalWidth > 0): a browser test reads it from the title.
SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img');
  var ok = 0;
  imgs.forEach(function (i) { if (i.complete && i.naturalWidth > 0) ok++; });
  document.body.setAttribute('data-images-loaded', ok);
  document.body.setAttribute('data-images-total', imgs.length);
  document.title = document.title + ' [images loaded ' + ok + '/' + imgs.length + ']';
});
"""


def esc(x):
    return html.escape("" if x is None else str(x))


def table(headers, rows, classes=None):
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>"]
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(f'<td class="num">{esc(c)}</td>' if isinstance(c, Num)
                        else f"<td>{c}</td>" if isinstance(c, Html) else f"<td>{esc(c)}</td>" for c in row)
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


class Num(str):
    """A table cell to right-align."""


class Html(str):
    """A table cell that is already HTML."""


def environment(f):
    h, ctx = f.host, f.context
    clock = ctx.get("clock", {})
    tool = ctx.get("tool", {})
    limits = ctx.get("limits", {})
    smt = h.get("smt") or {}
    rows = [
        ("results file", f.path),
        ("host", f.hostname),
        ("CPU", f"{h.get('cpu_model') or '?'}; online {h.get('cpus_online')}, allowed {h.get('cpus_allowed')}"),
        ("kernel", f"{f.kernel} {(h.get('kernel') or {}).get('version', '')} {(h.get('kernel') or {}).get('machine', '')}"),
        ("virtualized", "yes (hypervisor flag)" if h.get("virtualized") else "no"),
        ("DMI", f"{h.get('dmi_vendor') or '-'} {h.get('dmi_product') or ''}"),
        ("governor", h.get("governor") or "none (no cpufreq)"),
        ("SMT", f"control {smt.get('control', '-')}, active {smt.get('active', '-')}"),
        ("clocksource", h.get("clocksource")),
        ("clock", f"{clock.get('source')}: read {clock.get('read_overhead_ns')} ns, resolution "
                  f"{clock.get('resolution_ns')} ns ({clock.get('reason', '')})"),
        ("limits", ", ".join(f"{k} {v}" for k, v in limits.items())),
        ("tool", f"{tool.get('name')} {tool.get('version')} {tool.get('git_commit')}, {tool.get('build_type')}, "
                 f"{tool.get('compiler')} {tool.get('cxx_flags', '').strip()}"),
        ("command", ctx.get("command_line")),
        ("date (UTC)", f.date + (" (interrupted: incomplete)" if ctx.get("incomplete") else "")),
    ]
    floors = ctx.get("floors") or {}
    for kind, label in (("cacheline_pingpong", "cache-line floor"), ("two_line_pingpong", "two-line floor"),
                        ("futex_pingpong", "futex ping-pong floor")):
        for fl in floors.get(kind, []):
            c = fl.get("cpus", {})
            what = (f"p50 {ir.fmt_ns(fl['rtt_ns']['p50'])}, p99 {ir.fmt_ns(fl['rtt_ns']['p99'])}"
                    if fl.get("status") == "ok" else f"error: {fl.get('error')}")
            rows.append((f"{label} {c.get('producer')}:{c.get('consumer')} {fl.get('placement')} "
                         f"({fl.get('when')})", what))
    kernel = [(label, floors[key]["ns_per_call"]) for key, label in
              (("null_syscall", "null system call"), ("futex_wake", "FUTEX_WAKE, no waiter"))
              if isinstance(floors.get(key), dict) and floors[key].get("ns_per_call")]
    if kernel:
        rows.append(("kernel-entry floors", ", ".join(f"{label} {ir.fmt_ns(ns)}" for label, ns in kernel)))
    roof = ir.memcpy_roofline(floors.get("memcpy"))
    if roof:
        rows.append(("memcpy, one core", ", ".join(f"{ir.fmt_size(b)} {ir.fmt_si(bps, 'B/s')}" for b, bps in roof)))
    out = table(["", ""], rows)
    warnings = ctx.get("warnings") or []
    if warnings:
        out += "<p><b>Warnings</b></p><ul>" + "".join(f'<li class="warning">{esc(w)}</li>' for w in warnings) + "</ul>"
    return out


def pingpong_row(r):
    rtt = r["latency"]["rtt_ns"]
    ratio = (r.get("floor") or {}).get("p50_ratio")
    return [ir.series_name(r), ir.fmt_size(r["payload_bytes"]),
            f"{r['cpus']['producer']}:{r['cpus']['consumer']} {r.get('placement')}",
            Num(ir.fmt_ns(rtt["p50"])), Num(ir.fmt_ns(rtt["p99"])),
            Num(f"{ratio:.2f}x" if ratio else "-"), Num(ir.fmt_si(r["throughput"]["msgs_per_s"], "/s")),
            Num(ir.fmt_ns(ir.cpu_ns_per_msg(r)))]


def stream_row(r):
    return [ir.series_name(r), ir.fmt_size(r["payload_bytes"]),
            f"{r['cpus']['producer']}:{r['cpus']['consumer']} {r.get('placement')}",
            Num(ir.fmt_si(r["throughput"]["msgs_per_s"], "msg/s")), Num(ir.fmt_si(r["throughput"]["bytes_per_s"], "B/s")),
            Num(ir.fmt_ns(ir.cpu_ns_per_msg(r)))]


PP_HEAD = ["transport/wait", "size", "cpus", "p50 RTT", "p99 RTT", "vs floor", "round trips/s", "CPU per round trip"]
ST_HEAD = ["transport/wait", "size", "cpus", "msgs/s", "bytes/s", "CPU per message"]


def findings(f):
    pp = [r for r in f.ok_rows(pattern="pingpong") if (r.get("latency") or {}).get("rtt_ns")]
    st = [r for r in f.ok_rows(pattern="stream") if r.get("throughput")]
    out = []
    if pp:
        small = min(r["payload_bytes"] for r in pp)
        out.append(f"<h3>Ping-pong, {esc(ir.fmt_size(small))}: round trip (request + reply)</h3>")
        out.append(table(PP_HEAD, [pingpong_row(r) for r in pp if r["payload_bytes"] == small]))
    if st:
        sizes = sorted({r["payload_bytes"] for r in st})
        keep = {sizes[0], sizes[-1]}
        out.append(f"<h3>Stream, {esc(' and '.join(ir.fmt_size(s) for s in sorted(keep)))}: one-way throughput</h3>")
        out.append(table(ST_HEAD, [stream_row(r) for r in st if r["payload_bytes"] in keep]))
    bad = [r for r in f.runs if r.get("status") != "ok"]
    if bad:
        out.append("<p>Rows that did not run:</p><ul>" + "".join(
            f"<li>{esc(ir.series_name(r))} {esc(r.get('pattern'))} {esc(ir.fmt_size(r.get('payload_bytes', 0)))} "
            f"{esc(r.get('placement'))}: {esc(r.get('status'))}: {esc(r.get('error'))}</li>" for r in bad) + "</ul>")
    out.append('<p class="note">vs floor: p50 divided by the p50 of a cache line bounced between the same two '
               "CPUs just before the row (16 lines at different addresses in turn, 256 round trips each). "
               "CPU: user + system time of both processes per message (getrusage over the "
               "measured phase).</p>")
    if not pp and not st:
        out.append("<p>No ok rows in the file.</p>")
    return "\n".join(out)


def all_rows(f):
    pp = [pingpong_row(r) for r in f.ok_rows(pattern="pingpong") if (r.get("latency") or {}).get("rtt_ns")]
    st = [stream_row(r) for r in f.ok_rows(pattern="stream") if r.get("throughput")]
    return ("<details><summary>All rows of the first file</summary>" + table(PP_HEAD, pp) + table(ST_HEAD, st)
            + "</details>")


def claims_section(results, n_files):
    how = ("the min..max of the ratio over the " + str(n_files) + " files" if n_files > 1 else
           "with repetitions, from the bootstrap 95% CIs of both medians (multikernel: each point's min..max over "
           "its trials); with one run, the rows' own p25..p75 for latency (spread within the run, not run-to-run "
           "variation) and the point value (single run) for other metrics; each row says which")
    out = [f"<p>Each claim compares one metric of two sets of rows (A and B). The ratio is A's advantage over B "
           f"(B/A for latency and CPU, A/B for throughput). Verdicts use an interval, not just the point: {how}; "
           f"<i>inconclusive</i> when it straddles the claimed factor or the data is missing. Rules: "
           f"<code>plot/claims.py</code>.</p>"]
    rows, classes = [], []
    for res in results:
        c = res["claim"]
        lines = []
        if res["variants"]:
            lines.append(f"holds in {sum(v['verdict'] == cl.SUPPORTED for v in res['variants'])} of "
                         f"{len(res['variants'])} combinations of the varied conditions")
            lines += [f"flips with {x}" if not x.startswith("no single") else x for x in res["where_it_flips"]]
        else:
            lines.append("conditions not varied")
        if c.get("note"):
            lines.append(f"note: {c['note']}")
        rows.append([res["verdict"], c["id"],
                     Html(esc(c["text"]) + (f"<br><i>seed: {esc(c['seed'])}</i>" if c.get("seed") else "")),
                     Html(f"{esc(ir.METRICS[c['metric']][0])}; {esc(res['conditions'])}<br>"
                          + esc(cl.summary_line(res))),
                     Html("<br>".join(esc(x) for x in lines))])
        classes.append(res["verdict"])
    out.append(table(["verdict", "claim", "statement", "measured (A vs B)", "where it holds and where it flips"],
                     rows, classes))
    for res in results:
        if not res["variants"]:
            continue
        vrows = [[v["verdict"], v["conditions"], ir.fmt_metric(res["claim"]["metric"], v["a_value"]),
                  ir.fmt_metric(res["claim"]["metric"], v["b_value"]), Num(cl.fmt_result(res["claim"], v["ratio"])),
                  Num(f"{cl.fmt_result(res['claim'], v['interval'][0])}..{cl.fmt_result(res['claim'], v['interval'][1])}")]
                 for v in res["variants"]]
        out.append(f"<details><summary>{esc(res['claim']['id'])}: every combination of conditions "
                   f"({len(vrows)})</summary>")
        out.append(table(["verdict", "conditions", "A", "B", "advantage", "interval"], vrows,
                         [v["verdict"] for v in res["variants"]]))
        out.append("</details>")
    return "\n".join(out)


def chart_section(charts, out_dir):
    out = []
    for c in charts:
        if c.note:
            continue
        png = next(p for p in c.paths if p.endswith(".png"))
        with open(png, "rb") as f:
            data = base64.b64encode(f.read()).decode()
        links = " ".join(f'<a href="{esc(os.path.relpath(p, out_dir))}">{esc(os.path.splitext(p)[1][1:].upper())}</a>'
                         for p in c.paths)
        out.append(f"<h3>{esc(c.title)}</h3><p>{esc(c.what)} <span class=\"note\">({links})</span></p>"
                   f'<img alt="{esc(c.title)}" src="data:image/png;base64,{data}">')
    skipped = [c for c in charts if c.note]
    if skipped:
        out.append("<h3>Charts skipped</h3><ul>" + "".join(
            f"<li><b>{esc(c.title)}</b>: {esc(c.note)}</li>" for c in skipped) + "</ul>")
    return "\n".join(out)


def write_report(paths, out_dir, claims_path=cl.DEFAULT_CLAIMS, dist_size=64, dist_placement=None,
                 companions=()):
    files = cl.load_files(paths, companions)
    os.makedirs(out_dir, exist_ok=True)
    charts = ch.all_charts(files, out_dir, dist_size=dist_size, dist_placement=dist_placement)
    results = [cl.evaluate(c, files) for c in cl.load_claims(claims_path)]
    f = files[0]
    title = f"ipcbench report: {f.hostname}, {f.date}"
    body = [f"<h1>{esc(title)}</h1>",
            f"<p>{esc(f.footer())}</p>",
            "<p>Every number below is read from the results JSON "
            f"({', '.join(esc(os.path.basename(x.path)) for x in files + f.companions)}); nothing was re-run."
            + (f" Companion files of this machine, whose runs join the first file's: "
               f"{', '.join(esc(os.path.basename(c.path)) for c in f.companions)}." if f.companions else "")
            + "</p>",
            "<h2>Claims and verdicts</h2>", claims_section(results, len(files)),
            "<h2>Findings</h2>", findings(f),
            "<h2>Charts</h2>", chart_section(charts, out_dir),
            "<h2>Environment</h2>"]
    for x in files[:1] + f.companions + files[1:]:
        role = " (companion)" if x in f.companions else ""
        body.append(f"<h3>{esc(x.label)}: {esc(os.path.basename(x.path))}{role}</h3>" + environment(x))
    body.append(all_rows(f))
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(title)}</title>"
            f"<style>{CSS}</style><script>{SCRIPT}</script></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n")
    report = os.path.join(out_dir, "report.html")
    with open(report, "w") as out:
        out.write(page)
    with open(os.path.join(out_dir, "verdicts.json"), "w") as out:
        json.dump({"claims": claims_path, "results": [x.path for x in files],
                   "verdicts": [cl.to_json(r) for r in results]}, out, indent=1)
    return report, charts, results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+", help="results JSON files; the first is reported in full")
    ap.add_argument("--with", dest="companions", action="append", default=[], metavar="COMPANION.json",
                    help="a companion file of the first file's machine (repeatable): its runs join the first file's")
    ap.add_argument("--out", required=True, help="directory for report.html, the charts and verdicts.json")
    ap.add_argument("--claims", default=cl.DEFAULT_CLAIMS, help="claims file (default: plot/claims.json)")
    ap.add_argument("--dist-size", type=int, default=64, help="message size for the distribution chart (bytes)")
    ap.add_argument("--dist-placement", default=None, help="placement for the distribution chart (default: all)")
    args = ap.parse_intermixed_args(argv)
    try:
        report, charts, results = write_report(args.results, args.out, args.claims, args.dist_size,
                                               args.dist_placement, args.companions)
    except ValueError as e:
        ap.error(str(e))
    drawn = [c for c in charts if not c.note]
    for c in charts:
        if c.note:
            print(f"chart skipped: {c.name}: {c.note}")
    counts = {v: sum(r["verdict"] == v for r in results) for v in (cl.SUPPORTED, cl.REFUTED, cl.INCONCLUSIVE)}
    for r in results:
        print(f"claim {r['claim']['id']}: {r['verdict']}")
    print(f"report: {report} ({len(drawn)} charts, {len(charts) - len(drawn)} skipped; claims: "
          + ", ".join(f"{n} {v}" for v, n in counts.items()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
