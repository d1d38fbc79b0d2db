#!/usr/bin/python3
"""Tests of plot/: charts, report and claims on a synthetic results file and on a real one from the binary,
claim verdicts on crafted data, and the report rendered in headless Chromium.

Usage: test_plot.py --plot-dir DIR [--binary PATH] [unittest args, e.g. Claims]
Needs a Python that imports matplotlib and numpy (Debian's /usr/bin/python3); the scripts run under the same one.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

PLOT_DIR = ""
BINARY = ""
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHARTS = ["latency_vs_size", "throughput_vs_size", "latency_distribution_64B", "placement_p50", "cpu_vs_latency"]


# ---- a synthetic results file, shaped like results/README.md describes -------------------------------------------

def bucket(v):
    """The log-linear bucket [lo, hi) of a sample: 1 ns below 32 ns, 32 per octave above."""
    v = int(v)
    if v < 32:
        return v, v + 1
    k = v.bit_length() - 1
    width = (1 << k) // 32
    lo = (1 << k) + (v - (1 << k)) // width * width
    return lo, lo + width


def samples(p50, spread, n=2000, tail=0.0):
    """n deterministic samples: log-uniform within p50/spread..p50*spread, plus a `tail` share at 10x."""
    out = []
    for i in range(n):
        q = (i + 0.5) / n
        v = p50 * spread ** (2 * q - 1)
        if q > 1 - tail:
            v *= 10
        out.append(max(1.0, v))
    return sorted(out)


def latency_block(values):
    n = len(values)
    rank = lambda p: values[max(1, math.ceil(p / 100 * n)) - 1]  # noqa: E731
    hist = {}
    for v in values:
        b = bucket(v)
        hist[b] = hist.get(b, 0) + 1
    keys = sorted(hist)
    mean = sum(values) / n
    return {"kind": "round_trip",
            "rtt_ns": {"count": n, "min": values[0], "p50": rank(50), "p90": rank(90), "p99": rank(99),
                       "p999": rank(99.9), "max": values[-1], "mean": mean,
                       "stddev": math.sqrt(sum((v - mean) ** 2 for v in values) / n)},
            "histogram": {"layout": "log-linear", "unit": "ns", "sub_buckets_per_octave": 32,
                          "lo_ns": [k[0] for k in keys], "hi_ns": [k[1] for k in keys],
                          "count": [hist[k] for k in keys]}}


def row(i, transport, wait, pattern, size, placement, p50=None, spread=1.05, msgs_per_s=None, cpu_ns=None,
        tail=0.01, status="ok"):
    cpus = {"producer": 0, "consumer": 0 if placement == "same-core" else 1}
    r = {"id": i, "transport": transport, "pattern": pattern, "wait": wait, "payload_bytes": size, "cpus": cpus,
         "placement": placement, "capacity": 64, "capacity_requested": None, "capacity_bytes": None,
         "messages": 2000, "warmup_messages": 50, "verify": False, "status": status, "wall_s": 0.1}
    if status != "ok":
        r["error"] = "size 64K is above the mq limit (synthetic)"
        return r
    if pattern == "pingpong":
        r["latency"] = latency_block(samples(p50, spread, tail=tail))
        msgs_per_s = msgs_per_s or 1e9 / r["latency"]["rtt_ns"]["mean"]
        r["floor"] = {"kind": "cacheline_pingpong", "when": "just before this run", "messages": 100,
                      "rtt_ns": {"p50": 400.0, "p99": 600.0}, "p50_ratio": r["latency"]["rtt_ns"]["p50"] / 400}
    cpu_ns = cpu_ns if cpu_ns is not None else (p50 or 1e9 / msgs_per_s)
    side = lambda c: {"cpu": c, "user_ns_per_msg": cpu_ns * 0.3, "sys_ns_per_msg": cpu_ns * 0.2,  # noqa: E731
                      "vol_ctx_switches": 10, "invol_ctx_switches": 1, "spin_yields": 0, "blocking_waits": 0,
                      "futex_wakes": 0, "verified_messages": 0}
    r["elapsed_ns"] = 2000 / msgs_per_s * 1e9
    r["throughput"] = {"kind": "round_trips" if pattern == "pingpong" else "one_way", "msgs_per_s": msgs_per_s,
                       "bytes_per_s": msgs_per_s * size}
    r["cpu"] = {"producer": side(cpus["producer"]), "consumer": side(cpus["consumer"])}
    return r


def results_file(path, runs, host="synth", date="2026-01-01T00:00:00Z"):
    doc = {"schema_version": 1,
           "context": {"tool": {"name": "ipcbench", "version": "0.1.0", "git_commit": "000000000000",
                                "build_type": "Release", "compiler": "synthetic", "cxx_flags": ""},
                       "host": {"hostname": host, "kernel": {"sysname": "Linux", "release": "6.1.0-synthetic",
                                                             "version": "#1", "machine": "x86_64"},
                                "cpu_model": "Synthetic CPU", "cpus_online": [0, 1], "cpus_allowed": [0, 1],
                                "clocksource": "tsc", "available_clocksources": "tsc", "governor": None,
                                "smt": None, "virtualized": False, "dmi_product": None, "dmi_vendor": None},
                       "limits": {"mq_msgsize_max": 8192}, "clock": {"source": "clock_monotonic",
                                                                    "read_overhead_ns": 20.0, "resolution_ns": 1.0},
                       "command_line": "synthetic", "argv": ["synthetic"], "date_utc": date,
                       "warnings": ["synthetic data, not a measurement"], "floors": {"cacheline_pingpong": []}},
           "runs": [dict(r, id=i) for i, r in enumerate(runs)]}
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def synthetic_suite(scale=1.0):
    """A small default-like sweep: shm spin/block and pipe block, 64 B and 4 KiB, both placements, both patterns,
    plus one skipped row."""
    runs = []
    for placement, base in (("same-core", 10000), ("cross-core", 20000)):
        for size, grow in ((64, 1.0), (4096, 1.3)):
            spin = (base / 20 if placement == "cross-core" else base) * grow * scale
            runs.append(row(0, "shm", "spin", "pingpong", size, placement, p50=spin, cpu_ns=2 * spin))
            runs.append(row(0, "shm", "block", "pingpong", size, placement, p50=base * grow * scale))
            runs.append(row(0, "pipe", "block", "pingpong", size, placement, p50=base * 1.1 * grow * scale))
            runs.append(row(0, "shm", "spin", "stream", size, placement, msgs_per_s=1e7 / grow / scale, cpu_ns=100))
            runs.append(row(0, "shm", "block", "stream", size, placement, msgs_per_s=3e6 / grow / scale))
            runs.append(row(0, "pipe", "block", "stream", size, placement, msgs_per_s=5e5 / grow / scale))
    runs.append(row(0, "mq", "block", "pingpong", 65536, "cross-core", status="skipped"))
    return runs


def cap_row(transport, wait, capacity, msgs_per_s, size=64, full_waits=0, placement="cross-core"):
    """A stream row of a --capacity sweep: what was asked, what was granted, how often the sender found it full."""
    r = row(0, transport, wait, "stream", size, placement, msgs_per_s=msgs_per_s)
    r["capacity_requested"] = capacity
    r["buffering"] = {0: "rendezvous", "unbounded": "unbounded"}.get(capacity, "bounded")
    emulated = capacity == 0 and transport != "shm"
    r["effective"] = {"capacity_messages": None, "capacity_bytes": 4096,
                      "rendezvous": ("emulated: ack per message" if emulated else "native") if capacity == 0 else None,
                      "unbounded_means": "synthetic" if capacity == "unbounded" else None, "holds_whole_run": None}
    for side in ("producer", "consumer"):
        r["cpu"][side]["full_waits"] = full_waits if side == "producer" else 0
    return r


def capacity_sweep(sizes=(64,)):
    """shm/block and pipe/spin streams at capacity 0, 1, 4, 16 and unbounded: throughput rises with capacity."""
    runs = []
    for size in sizes:
        for cap, shm, pipe in ((0, 2e5, 3e4), (1, 3e5, 5e4), (4, 9e5, 8e4), (16, 2e6, 1e5), ("unbounded", 6e6, 1.3e5)):
            runs.append(cap_row("shm", "block", cap, shm / (size / 64), size))
            runs.append(cap_row("pipe", "spin", cap, pipe / (size / 64), size,
                                full_waits=0 if cap in (0, "unbounded") else 500))
    return runs


# ---- helpers ------------------------------------------------------------------------------------------------------

def script(name, *args, timeout=120):
    r = subprocess.run([sys.executable, os.path.join(PLOT_DIR, name), *args], capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"{name} {' '.join(args)} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
    return r


def n_default_claims():
    with open(os.path.join(PLOT_DIR, "claims.json")) as f:
        return len(json.load(f)["claims"])


def mailbox_rows():
    """Mailbox runs: shm/spin and mq/block at P, C in {1, 2}; mq's 2P->2C splits 75/25, everything else evenly."""
    runs = []
    for transport, wait, rate in (("shm", "spin", 4e6), ("mq", "block", 2e5)):
        for p in (1, 2):
            for c in (1, 2):
                n = 1000 * p
                per_consumer = [n * 3 // 4, n // 4] if (transport, p, c) == ("mq", 2, 2) else [n // c] * c
                per_pair = [[x // p for x in per_consumer] for _ in range(p)]
                shares = [x / n for x in per_consumer]
                lat = latency_block(samples(5000, 1.5))
                lat = {"kind": "one_way", "clock": "clock_monotonic", "method": "synthetic",
                       "one_way_ns": lat["rtt_ns"], "histogram": lat["histogram"]}
                runs.append({
                    "id": len(runs), "transport": transport, "pattern": "mailbox", "wait": wait, "payload_bytes": 64,
                    "cpus": {"producer": 0, "consumer": 1}, "placement": "round-robin", "capacity": 64,
                    "capacity_requested": None, "capacity_bytes": None, "messages": n, "warmup_messages": 0,
                    "verify": False, "status": "ok", "wall_s": 0.1, "elapsed_ns": n / rate * 1e9,
                    "spin": {"budget": 2000}, "latency": lat,
                    "throughput": {"msgs_per_s": rate * (1 + 0.2 * (p + c)), "bytes_per_s": 64 * rate,
                                   "kind": "aggregate"},
                    "mailbox": {"producers": p, "consumers": c, "producer_cpus": [0, 1][:p],
                                "consumer_cpus": [1, 0][:c], "sent": [n // p] * p, "per_consumer": per_consumer,
                                "per_pair": per_pair, "end_protocol": "synthetic", "latency_samples": n,
                                "fairness": {"jain_index": sum(shares) ** 2 / (c * sum(s * s for s in shares)),
                                             "shares": shares, "max_min_ratio": max(per_consumer) / min(per_consumer),
                                             "method": "synthetic"}}})
    return runs


class TmpCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ipcbench-plot-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assert_png(self, path, min_bytes=10000):
        with open(path, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(PNG_MAGIC), f"{path} is not a PNG")
        self.assertGreater(len(data), min_bytes, f"{path} is suspiciously small")

    def assert_svg(self, path, min_bytes=10000):
        self.assertGreater(os.path.getsize(path), min_bytes, f"{path} is suspiciously small")
        root = ET.parse(path).getroot()
        self.assertTrue(root.tag.endswith("svg"), f"{path}: root element is {root.tag}")

    def assert_charts(self, out_dir, names):
        for name in names:
            self.assert_png(os.path.join(out_dir, name + ".png"))
            self.assert_svg(os.path.join(out_dir, name + ".svg"))

    def assert_report(self, out_dir, n_images):
        path = os.path.join(out_dir, "report.html")
        with open(path) as f:
            page = f.read()
        self.assertEqual(page.count('src="data:image/png;base64,'), n_images)
        for word in ("Claims and verdicts", "Findings", "Environment", "Charts skipped"):
            self.assertIn(word, page)
        with open(os.path.join(out_dir, "verdicts.json")) as f:
            verdicts = json.load(f)["verdicts"]
        self.assertTrue(verdicts)
        for v in verdicts:
            self.assertIn(v["verdict"], ("supported", "refuted", "inconclusive"))
            self.assertIn(v["verdict"], page)
        return page, verdicts


# ---- every script on a synthetic file ----------------------------------------------------------------------------

class Synthetic(TmpCase):
    def test_charts_one_file(self):
        res = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        out = os.path.join(self.tmp, "charts")
        r = script("charts.py", res, "--out", out)
        self.assert_charts(out, CHARTS)
        self.assertIn("skipped compare_latency_vs_size", r.stdout)
        self.assertIn("skipped multikernel", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(out, "compare_latency_vs_size.png")))
        self.assertIn("skipped core_pair_heatmap: no core-pair matrix in the file", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(out, "core_pair_heatmap.png")))

    def test_core_pair_heatmap(self):
        """ipcbench --matrix output: one panel per transport/wait and one for the floor, cells labelled by class."""
        path = results_file(os.path.join(self.tmp, "m.json"), synthetic_suite())
        with open(path) as f:
            doc = json.load(f)
        cpus = [0, 1, 2]
        cls = lambda p, c: "same-core" if p == c else ("shared-llc" if 2 not in (p, c) else "cross-socket")  # noqa: E731
        cell = lambda p, c, ns: {"producer": p, "consumer": c, "class": cls(p, c), "p50_ns": ns,  # noqa: E731
                                 "p99_ns": 2 * ns}
        doc["matrix"] = {"metric": "p50_rtt_ns", "cpus": cpus, "pairs_total": 9, "pairs_measured": 9, "sampled": False,
                         "budget_s": 120,
                         "transports": [{"transport": "shm", "pattern": "pingpong", "payload_bytes": 64, "wait": "spin",
                                         "cells": [cell(p, c, 1234 + 100 * p + 10 * c) for p in cpus for c in cpus],
                                         "missing": []}],
                         "floor_cells": [cell(p, c, 567) for p in cpus for c in cpus if (p, c) != (2, 1)]}
        with open(path, "w") as f:
            json.dump(doc, f)
        out = os.path.join(self.tmp, "charts")
        r = script("charts.py", path, "--out", out)
        self.assertNotIn("skipped core_pair_heatmap", r.stdout)
        self.assert_charts(out, ["core_pair_heatmap"])
        with open(os.path.join(out, "core_pair_heatmap.svg")) as f:
            svg = f.read()
        for label in ("shm/spin 64 B ping-pong", "cache-line floor", "producer CPU", "consumer CPU",
                      "p50 round trip (ns, log scale)", "LLC = shared-llc", "xSock = cross-socket",
                      "1.5 us", "567 ns", "synth (Synthetic CPU"):
            self.assertTrue(label in svg, f"the heatmap does not show {label!r}")
        self.assertEqual(svg.count("567 ns"), 8, "the unmeasured floor cell stays blank")

    def test_ablation_shows_round_trips_in_place_as_a_bar_of_their_own(self):
        """shm ping-pongs that answered in place (reply_line shared) get a bar beside shm's, with their own p50."""
        runs = []
        for design, p50 in (("shm-naive", 700.0), ("shm", 300.0), ("shm in place", 220.0)):
            transport = design.split(" ")[0]
            for pattern in ("pingpong", "stream"):
                if design.endswith("in place") and pattern == "stream":
                    continue  # a stream has no reply
                r = row(len(runs), transport, "spin", pattern, 64, "cross-core", p50=p50 if pattern == "pingpong" else None,
                        msgs_per_s=None if pattern == "pingpong" else 2e7)
                r["ring"] = {"design": transport}
                if pattern == "pingpong":
                    line = "shared" if design.endswith("in place") else "own"
                    r["reply_line"] = {"line": line, "requested": line, "why": "--reply-line " + line}
                runs.append(r)
        path = results_file(os.path.join(self.tmp, "abl.json"), runs)
        sys.path.insert(0, PLOT_DIR)
        import charts
        import ipcresults
        os.makedirs(os.path.join(self.tmp, "charts"))
        c = charts.ring_ablation(ipcresults.ResultsFile(path), os.path.join(self.tmp, "charts"))
        self.assertFalse(c.note, c.note)
        with open(c.paths[1]) as f:
            svg = f.read()
        for label in ("shm-naive", "shm in place", "in place"):
            self.assertTrue(label in svg, f"the ablation does not show {label!r}")
        self.assertEqual(charts._ablation_design(runs[2]), "shm")
        self.assertEqual(charts._ablation_design(runs[4]), "shm in place")

    def test_repetitions_chart_the_median_repetition(self):
        # Three repetitions of every configuration (scaled 0.9, 1.0, 1.2): one point per configuration, the median.
        runs = synthetic_suite(0.9) + synthetic_suite(1.0) + synthetic_suite(1.2)
        res = results_file(os.path.join(self.tmp, "reps.json"), runs)
        sys.path.insert(0, PLOT_DIR)
        import ipcresults
        f = ipcresults.ResultsFile(res)
        shown = f.ok_rows(transport="shm", wait="spin", pattern="pingpong", payload_bytes=64, placement="cross-core")
        self.assertEqual(len(shown), 1)
        self.assertEqual(shown[0]["latency"]["rtt_ns"]["p50"],
                         sorted(ipcresults.metric(r, "p50_rtt_ns") for r in f.ok_rows(
                             all_repetitions=True, transport="shm", wait="spin", pattern="pingpong",
                             payload_bytes=64, placement="cross-core"))[1])
        out = os.path.join(self.tmp, "charts")
        script("charts.py", res, "--out", out)
        self.assert_charts(out, CHARTS)

    def test_charts_two_files_side_by_side(self):
        a = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite(), host="alpha")
        b = results_file(os.path.join(self.tmp, "b.json"), synthetic_suite(1.5), host="beta",
                         date="2026-02-02T00:00:00Z")
        out = os.path.join(self.tmp, "charts")
        script("charts.py", a, b, "--out", out)
        self.assert_charts(out, CHARTS + ["compare_latency_vs_size"])
        with open(os.path.join(out, "compare_latency_vs_size.svg")) as f:
            svg = f.read()
        # matplotlib writes text as glyph paths with the string in a comment
        for label in ("alpha 2026-01-01T00:00:00Z", "beta 2026-02-02T00:00:00Z"):
            self.assertIn(label, svg)

    def test_memcpy_roofline_only_when_in_the_json(self):
        res = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        out = os.path.join(self.tmp, "charts")
        r = script("charts.py", res, "--out", out)
        self.assertIn("No memcpy roofline", r.stdout)
        with open(res) as f:
            doc = json.load(f)
        # The shape ipcbench writes (results/README.md, context.floors.memcpy).
        doc["context"]["floors"]["memcpy"] = {
            "method": "synthetic", "cpu": 0, "llc_bytes": None, "llc_source": None, "huge_pages_advised": True,
            "sizes": [{"bytes": 64, "bytes_per_s": 2e10, "ns_per_copy": 3.2},
                      {"bytes": 4096, "bytes_per_s": 5e10, "ns_per_copy": 82.0}]}
        with open(res, "w") as f:
            json.dump(doc, f)
        r = script("charts.py", res, "--out", out)
        self.assertNotIn("No memcpy roofline", r.stdout)
        with open(os.path.join(out, "throughput_vs_size.svg")) as f:
            self.assertIn("memcpy roofline", f.read())
        # Present but without usable sizes: said so, no roofline, no error.
        doc["context"]["floors"]["memcpy"] = {"method": "synthetic", "sizes": []}
        with open(res, "w") as f:
            json.dump(doc, f)
        r = script("charts.py", res, "--out", out)
        self.assertIn("holds no {bytes, bytes_per_s} sizes", r.stdout)
        with open(os.path.join(out, "throughput_vs_size.svg")) as f:
            self.assertNotIn("memcpy roofline", f.read())

    def test_thread_mode_rows_are_their_own_series_and_not_in_claims(self):
        runs = synthetic_suite()
        runs.append(dict(row(0, "shm", "block", "pingpong", 64, "cross-core", p50=20.0), mode="threads"))
        runs.append(dict(row(0, "pipe", "block", "pingpong", 64, "cross-core", p50=20.0), mode="threads"))
        res = results_file(os.path.join(self.tmp, "a.json"), runs)
        out = os.path.join(self.tmp, "charts")
        script("charts.py", res, "--out", out)
        with open(os.path.join(out, "latency_vs_size.svg")) as f:
            self.assertIn("shm/block (threads) p50", f.read())
        r = script("claims.py", res)
        # 20000 vs 22000 ns from the process rows, not 20 vs 20 from the thread rows
        self.assertRegex(r.stdout, r"message-passing-slower.*\n.*\n    A 20\.0 us, B 22\.0 us")

    def test_mailbox_chart(self):
        res = results_file(os.path.join(self.tmp, "m.json"), synthetic_suite() + mailbox_rows())
        out = os.path.join(self.tmp, "charts")
        r = script("charts.py", res, "--out", out)
        self.assertNotIn("skipped mailbox_fairness", r.stdout)
        self.assert_charts(out, ["mailbox_fairness"])
        with open(os.path.join(out, "mailbox_fairness.svg")) as f:
            svg = f.read()
        for label in ("shm/spin", "mq/block", "consumer 0", "consumer 1", "J=0.80", "J=1.00", "msg/s",
                      "synth (Synthetic CPU"):
            self.assertIn(label, svg, f"the chart does not show {label!r}")

    def test_no_mailbox_rows_skips_the_mailbox_chart(self):
        res = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        out = os.path.join(self.tmp, "charts")
        r = script("charts.py", res, "--out", out)
        self.assertIn("skipped mailbox_fairness: no ok mailbox rows", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(out, "mailbox_fairness.png")))

    def test_throughput_vs_capacity(self):
        res = results_file(os.path.join(self.tmp, "c.json"), synthetic_suite() + capacity_sweep())
        out = os.path.join(self.tmp, "charts")
        r = script("charts.py", res, "--out", out)
        self.assertIn("wrote", r.stdout)
        self.assertNotIn("skipped throughput_vs_capacity", r.stdout)
        self.assert_charts(out, ["throughput_vs_capacity"])
        with open(os.path.join(out, "throughput_vs_capacity.svg")) as f:
            svg = f.read()
        for label in ("0 (rendezvous)", "unbounded", "16", "shm/block", "pipe/spin", "msg/s", "cross-core",
                      "synth (Synthetic CPU"):
            self.assertTrue(label in svg, f"the chart does not show {label!r}")
        self.assertNotIn("pipe/spin 64 B", svg, "one size: no size in the legend")

    def test_throughput_vs_capacity_one_line_per_size(self):
        res = results_file(os.path.join(self.tmp, "c.json"), capacity_sweep(sizes=(64, 4096)))
        out = os.path.join(self.tmp, "charts")
        script("charts.py", res, "--out", out)
        with open(os.path.join(out, "throughput_vs_capacity.svg")) as f:
            svg = f.read()
        for label in ("pipe/spin 64 B", "pipe/spin 4 KiB", "shm/block 4 KiB"):
            self.assertIn(label, svg)

    def test_no_capacity_sweep_skips_the_capacity_chart(self):
        res = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        out = os.path.join(self.tmp, "charts")
        r = script("charts.py", res, "--out", out)
        self.assertIn("skipped throughput_vs_capacity: the file has no sweep over --capacity", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(out, "throughput_vs_capacity.png")))
        # one capacity alone is not a sweep either
        res = results_file(os.path.join(self.tmp, "b.json"), [cap_row("pipe", "spin", 4, 1e5)])
        r = script("charts.py", res, "--out", out)
        self.assertIn("skipped throughput_vs_capacity", r.stdout)

    def test_report_includes_the_capacity_chart(self):
        res = results_file(os.path.join(self.tmp, "c.json"), synthetic_suite() + capacity_sweep())
        out = os.path.join(self.tmp, "report")
        script("report.py", res, "--out", out)
        page, verdicts = self.assert_report(out, len(CHARTS) + 1)
        self.assertIn("Stream throughput vs buffer capacity", page)
        by_id = {v["id"]: v["verdict"] for v in verdicts}
        self.assertEqual(by_id["bounded-buffer-blocks-sender"], "supported")  # 6e6 vs 3e5 msg/s
        self.assertEqual(by_id["full-buffer-makes-sender-wait"], "supported")  # 0 vs 0.25 per message

    def test_companions_join_the_main_file(self):
        """--with: a capacity sweep and a multikernel file of the same machine feed the charts and the claims;
        the capacity rows do not leak into charts and claims that name no capacity."""
        main = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        # shm/spin at 64 B cross-core with a 1-message buffer, 100x slower than the main file's row
        caps = capacity_sweep() + [cap_row("shm", "spin", 1, 1e5), cap_row("shm", "spin", "unbounded", 1e5)]
        cap = results_file(os.path.join(self.tmp, "a-capacity.json"), caps)
        mk = multikernel_file(os.path.join(self.tmp, "a-multikernel.json"), points=mk_crafted())
        alone, with_ = os.path.join(self.tmp, "alone"), os.path.join(self.tmp, "with")
        script("report.py", main, "--out", alone)
        r = script("report.py", main, "--with", cap, "--with", mk, "--out", with_)
        for name in ("throughput_vs_capacity", "multikernel"):
            self.assertNotIn(f"chart skipped: {name}", r.stdout)
        self.assert_charts(with_, CHARTS + ["throughput_vs_capacity", "multikernel"])
        page, verdicts = self.assert_report(with_, len(CHARTS) + 2)
        self.assertIn("Companion files of this machine", page)
        self.assertIn("a-capacity.json (companion)", page)
        by_id = {v["id"]: v for v in verdicts}
        with open(os.path.join(alone, "verdicts.json")) as f:
            before = {v["id"]: v for v in json.load(f)["verdicts"]}
        for cid in ("bounded-buffer-blocks-sender", "full-buffer-makes-sender-wait", "multikernel"):
            self.assertEqual(before[cid]["verdict"], "inconclusive")
            self.assertEqual(by_id[cid]["verdict"], "supported", cid)
        for cid in ("shm-latency", "shm-throughput", "shm-cpu-per-message", "message-passing-slower"):
            self.assertEqual(by_id[cid]["a_value"], before[cid]["a_value"], f"{cid}: capacity rows leaked in")
            self.assertEqual(len(by_id[cid]["variants"]), len(before[cid]["variants"]), cid)
        # the multikernel chart's footer names the multikernel file, every other one the companions too
        with open(os.path.join(with_, "multikernel.svg")) as f:
            self.assertIn("a-multikernel.json", f.read())
        with open(os.path.join(with_, "throughput_vs_size.svg")) as f:
            svg = f.read()
        self.assertIn("a.json + a-capacity.json + a-multikernel.json", svg)
        self.assertNotIn("shm/spin 64 B", svg)
        # other machines still go side by side, after or between the companions
        b = results_file(os.path.join(self.tmp, "b.json"), synthetic_suite(1.5), host="beta")
        r = script("report.py", main, "--with", cap, b, "--with", mk, "--out", os.path.join(self.tmp, "both"))
        self.assertNotIn("chart skipped: compare_latency_vs_size", r.stdout)
        self.assertNotIn("chart skipped: multikernel", r.stdout)

    def test_companion_of_another_machine_is_refused(self):
        main = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        other = results_file(os.path.join(self.tmp, "b.json"), capacity_sweep(), host="beta")
        for name in ("report.py", "charts.py", "claims.py"):
            args = [main, "--with", other] + (["--out", os.path.join(self.tmp, "x")] if name != "claims.py" else [])
            r = subprocess.run([sys.executable, os.path.join(PLOT_DIR, name), *args], capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, name)
            self.assertIn("is not from the machine of", r.stderr)

    def test_repetitions_draw_confidence_intervals(self):
        """Files with summary[] get the bootstrap CI of the median as error bars; files without it get none."""
        runs = synthetic_suite(0.9) + synthetic_suite(1.0) + synthetic_suite(1.2)
        plain = results_file(os.path.join(self.tmp, "plain.json"), runs)
        with open(plain) as f:
            doc = json.load(f)
        sys.path.insert(0, PLOT_DIR)
        import ipcresults
        summary = {}
        for r in doc["runs"]:
            if r["status"] != "ok":
                continue
            e = summary.setdefault(ipcresults.config_key(r), {
                k: r[k] for k in ("transport", "wait", "pattern", "payload_bytes", "cpus", "placement",
                                  "capacity_requested")} | {"mode": "processes", "ok_repetitions": 0, "metrics": {}})
            e["ok_repetitions"] += 1
            name = "p50_rtt_ns" if r["pattern"] == "pingpong" else "msgs_per_s"
            e["metrics"].setdefault(name, {"values": []})["values"].append(ipcresults.metric(r, name))
        for e in summary.values():
            for m in e["metrics"].values():
                v = sorted(m["values"])
                m.update(median=v[1], ci_lo=v[0], ci_hi=v[2])
        doc["summary"] = list(summary.values())
        reps = os.path.join(self.tmp, "reps.json")
        with open(reps, "w") as f:
            json.dump(doc, f)
        for path, name in ((plain, "plain"), (reps, "reps")):
            r = script("charts.py", path, "--out", os.path.join(self.tmp, name))
        for chart in ("latency_vs_size", "throughput_vs_size"):
            with open(os.path.join(self.tmp, "plain", chart + ".svg")) as f:
                plain_svg = f.read()
            with open(os.path.join(self.tmp, "reps", chart + ".svg")) as f:
                reps_svg = f.read()
            self.assertFalse("bootstrap 95% CI" in plain_svg, f"{chart}: bars without repetitions")
            self.assertTrue("bars: bootstrap 95% CI of the median over the repetitions" in reps_svg,
                            f"{chart}: no CI bars said in the title")
            # one error-bar collection per series and point: matplotlib writes each as its own LineCollection
            self.assertGreater(reps_svg.count("LineCollection"), plain_svg.count("LineCollection") + 10, chart)
        self.assert_charts(os.path.join(self.tmp, "reps"), CHARTS)

    def test_latency_vs_offered_load(self):
        """rate_curves[] drawn: one line per transport/wait, the knee and the closed-loop p99 where present."""
        def curve(transport, p99s, knee=None, closed=None):
            loads = [0.1, 0.5, 0.9, 1.0]
            return {"transport": transport, "wait": "block", "payload_bytes": 64, "cpus": {"producer": 0, "consumer": 1},
                    "placement": "cross-core", "capacity_requested": None, "mode": "processes",
                    "points": [{"load": l, "offered_msgs_per_s": l * 1e5, "achieved_msgs_per_s": l * 1e5,
                                "p50_ns": p / 2, "p99_ns": p, "max_lag_ns": 0, "backlog_grows": False,
                                "repetitions": 1, "run_ids": [i]} for i, (l, p) in enumerate(zip(loads, p99s))],
                    "knee": None if knee is None else {"index": knee, "load": loads[knee], "reason": "p99 3x",
                                                       "offered_msgs_per_s": loads[knee] * 1e5,
                                                       "p99_ns": p99s[knee]},
                    "knee_rule": "synthetic rule", "at_load_0_9": None,
                    "closed_loop": None if closed is None else {"rtt_p50_ns": closed / 2, "rtt_p99_ns": closed,
                                                                "rtt_half_p99_ns": closed / 2, "one_way_p99_ns": None}}
        res = results_file(os.path.join(self.tmp, "r.json"), synthetic_suite())
        out = os.path.join(self.tmp, "charts")
        r = script("charts.py", res, "--out", out)
        self.assertIn("skipped latency_vs_offered_load: no rate curves", r.stdout)
        with open(res) as f:
            doc = json.load(f)
        doc["rate_curves"] = [curve("pipe", [20e3, 22e3, 90e3, 400e3], knee=2, closed=30e3),
                              curve("shm", [2e3, 2.1e3, 2.5e3, 3e3])]
        with open(res, "w") as f:
            json.dump(doc, f)
        r = script("charts.py", res, "--out", out)
        self.assertIn("latency_vs_offered_load.png", r.stdout)
        self.assert_charts(out, ["latency_vs_offered_load"])
        with open(os.path.join(out, "latency_vs_offered_load.svg")) as f:
            svg = f.read()
        for text in ("pipe/block knee", "pipe/block closed-loop RTT p99", "shm/block p99", "offered load"):
            self.assertTrue(text in svg, f"{text!r} is not in the chart")
        self.assertFalse("shm/block knee" in svg, "no knee in the shm curve")

    def test_only_stream_rows_skips_latency_charts(self):
        runs = [r for r in synthetic_suite() if r["pattern"] == "stream"]
        res = results_file(os.path.join(self.tmp, "s.json"), runs)
        out = os.path.join(self.tmp, "charts")
        r = script("charts.py", res, "--out", out)
        self.assertIn("skipped latency_vs_size: no ok pingpong rows", r.stdout)
        self.assert_charts(out, ["throughput_vs_size"])

    def test_report(self):
        res = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        out = os.path.join(self.tmp, "report")
        r = script("report.py", res, "--out", out)
        self.assertIn("report:", r.stdout)
        self.assert_charts(out, CHARTS)
        page, verdicts = self.assert_report(out, len(CHARTS))
        self.assertIn("synthetic data, not a measurement", page)
        by_id = {v["id"]: v["verdict"] for v in verdicts}
        self.assertEqual(by_id["shm-latency"], "supported")  # 20x by construction
        self.assertEqual(by_id["multikernel"], "inconclusive")

    def test_file_without_ok_rows(self):
        res = results_file(os.path.join(self.tmp, "e.json"),
                           [row(0, "shm", "spin", "pingpong", 64, "cross-core", status="error")])
        out = os.path.join(self.tmp, "report")
        r = script("report.py", res, "--out", out)
        self.assertIn("0 charts", r.stdout)
        page, verdicts = self.assert_report(out, 0)
        self.assertEqual({v["verdict"] for v in verdicts}, {"inconclusive"})
        self.assertIn("Rows that did not run", page)

    def test_claims_default_file(self):
        res = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        r = script("claims.py", res)
        self.assertRegex(r.stdout, r"\[supported\] shm-latency")
        self.assertIn("no data: needs an `ipcbench multikernel` file of this machine", r.stdout)
        self.assertIn("where it flips", r.stdout)


# ---- a real results file from the binary --------------------------------------------------------------------------

class RealRun(TmpCase):
    @classmethod
    def setUpClass(cls):
        if not BINARY:
            raise unittest.SkipTest("no --binary given")
        cls.dir = tempfile.mkdtemp(prefix="ipcbench-plot-real-")
        cls.results = os.path.join(cls.dir, "real.json")
        r = subprocess.run([BINARY, "--transports", "shm,pipe", "--sizes", "64,4K", "--messages", "300",
                            "--warmup", "50", "--out", cls.results, "--quiet"], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"ipcbench exited {r.returncode}: {r.stderr}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_report_and_charts(self):
        out = os.path.join(self.tmp, "report")
        script("report.py", self.results, "--out", out)
        self.assert_charts(out, CHARTS)
        _, verdicts = self.assert_report(out, len(CHARTS))
        self.assertEqual(len(verdicts), n_default_claims())

    def test_claims(self):
        r = script("claims.py", self.results)
        self.assertEqual(len(re.findall(r"(?m)^\[(supported|refuted|inconclusive)\] ", r.stdout)),
                         n_default_claims())

    def test_two_real_files(self):
        out = os.path.join(self.tmp, "charts")
        script("charts.py", self.results, self.results, "--out", out)
        self.assert_charts(out, ["compare_latency_vs_size"])

    def test_real_companions_give_every_default_claim_a_verdict(self):
        """What ./setup.sh run does, smaller: the suite plus a capacity sweep and a multikernel file of this
        machine, from the binary; then no default claim is left without data."""
        cap, mk = os.path.join(self.dir, "real-capacity.json"), os.path.join(self.dir, "real-multikernel.json")
        for args in (["--transports", "shm,pipe", "--patterns", "stream", "--sizes", "64", "--capacity", "1,unbounded",
                      "--wait", "spin,block", "--placement", "cross-core", "--messages", "2000", "--warmup", "50",
                      "--out", cap, "--quiet"],
                     ["multikernel", "--lines", "1,8", "--ops-per-point", "2000", "--repetitions", "2", "--out", mk,
                      "--quiet"]):
            r = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.tmp, "report")
        r = script("report.py", self.results, "--with", cap, "--with", mk, "--out", out)
        for name in ("throughput_vs_capacity", "multikernel"):
            self.assertNotIn(f"chart skipped: {name}", r.stdout)
        _, verdicts = self.assert_report(out, len(CHARTS) + 2)
        self.assertEqual(len(verdicts), n_default_claims())
        for v in verdicts:
            self.assertNotEqual(v["interval_kind"], "no data", f"{v['id']}: {v.get('missing')}")


# ---- the real files the README quotes ------------------------------------------------------------------------

class Reference(TmpCase):
    """Every chart on every file in results/reference/ (real ipcbench output of each kind: suites, capacity sweep,
    matrix, ablation, rate curves, mailbox, rpc, multikernel): drawn without error, with the title, a legend (or a
    colour bar) and the footer naming the machine; and the claims on a suite with its companions."""

    def reference(self):
        ref = os.path.join(PLOT_DIR, "..", "results", "reference")
        files = sorted(os.path.join(ref, f) for f in os.listdir(ref) if f.endswith(".json"))
        if not files:
            self.skipTest(f"no reference files in {ref}")
        return files

    def test_every_chart_on_every_reference_file(self):
        sys.path.insert(0, PLOT_DIR)
        import charts
        import ipcresults
        drawn = set()
        for path in self.reference():
            f = ipcresults.ResultsFile(path)
            out = os.path.join(self.tmp, os.path.basename(path))
            for c in charts.all_charts([f], out):
                if c.note:
                    continue
                drawn.add(c.name)
                with self.subTest(file=os.path.basename(path), chart=c.name):
                    png, svg_path = c.paths
                    self.assert_png(png)
                    self.assert_svg(svg_path)
                    with open(svg_path) as fh:
                        svg = fh.read()
                    self.assertTrue(c.title in svg, "no title")
                    self.assertTrue(f"<!-- {f.hostname} (" in svg, "no footer naming the machine")
                    if not c.name.endswith("heatmap"):  # a heatmap's key is its colour bar
                        self.assertTrue('id="legend_' in svg, "no legend")
        # the kinds of chart the reference files hold, all drawn from real data
        for name in ("latency_vs_size", "throughput_vs_size", "latency_distribution_64B", "placement_p50",
                     "cpu_vs_latency", "core_pair_heatmap", "throughput_vs_capacity", "ring_ablation",
                     "latency_vs_offered_load", "mailbox_fairness", "multikernel"):
            self.assertIn(name, drawn)

    def test_suite_with_its_companions(self):
        files = {os.path.basename(p): p for p in self.reference()}
        needed = ("suite-a.json", "buffering.json", "multikernel.json")
        if not all(n in files for n in needed):
            self.skipTest(f"needs {', '.join(needed)} in results/reference")
        out = os.path.join(self.tmp, "report")
        script("report.py", files["suite-a.json"], "--with", files["buffering.json"], "--with",
               files["multikernel.json"], "--out", out)
        _, verdicts = self.assert_report(out, len(CHARTS) + 2)
        for v in verdicts:
            self.assertNotEqual(v["interval_kind"], "no data", v["id"])


# ---- claims on crafted data --------------------------------------------------------------------------------------

def mk_stat(v, spread=1.1):
    return {"median": v, "min": v / spread, "max": v * spread, "samples": 3}


def multikernel_file(path, ks=(1, 2, 3), lines=(1, 8), methods=("shm-store", "shm-atomic", "msg"), points=None):
    """A synthetic `ipcbench multikernel` file shaped like the paper: shm rising with k and n, msg nearly flat
    (or the given points)."""
    if points is not None:
        ks = sorted({p["k"] for p in points})
        lines = sorted({p["n"] for p in points})
        methods = sorted({p["method"] for p in points})
    points = [] if points is None else points
    for m in methods if not points else ():
        for k in ks:
            for n in lines:
                if m == "msg":
                    cost = 40.0 * n if k == 1 else 900.0 + 30 * k + 10 * n
                    server = mk_stat(40.0 * n)
                else:
                    cost = (5.0 if m == "shm-store" else 20.0) * n * k * k
                    server = None
                points.append({"method": m, "k": k, "n": n, "cpus": list(range(k)),
                               "server_cpu": 0 if m == "msg" else None, "degenerate": m == "msg" and k == 1,
                               "status": "ok", "per_op_ns": mk_stat(cost), "per_op_cycles": None,
                               "server_per_update_ns": server,
                               "updates_per_s": mk_stat(1e9 / cost * max(1, k - (m == "msg"))), "trials": []})
    doc = {"schema_version": 1, "kind": "multikernel",
           "context": {"tool": {"name": "ipcbench", "version": "0.1.0", "git_commit": "synthetic"},
                       "host": {"hostname": "synth", "cpu_model": "Synthetic CPU", "cpus_online": list(range(4)),
                                "kernel": {"sysname": "Linux", "release": "6.1.0-synthetic"}, "virtualized": False},
                       "clock": {"source": "tsc"}, "perf": {}, "warnings": [],
                       "cycles": {"available": False, "reason": "synthetic"},
                       "command_line": "synthetic", "date_utc": "2026-01-01T00:00:00Z"},
           "parameters": {"cpus": list(range(max(ks, default=1))), "max_k": max(ks, default=1), "lines": list(lines),
                          "methods": list(methods), "mode": "duration", "ops_per_point": None, "warmup_ops": None,
                          "duration_s": 0.1, "warmup_s": 0.02, "repetitions": 3, "timeout_s": 5,
                          "line_bytes": 64, "request_bytes": 64, "server_sample_every": 16, "placement": "synthetic"},
           "points": points}
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


class Multikernel(TmpCase):
    """The Fig. 3 chart: synthetic data, a file without multikernel points, and a real `ipcbench multikernel` run."""

    def test_synthetic_chart_and_report(self):
        res = multikernel_file(os.path.join(self.tmp, "mk.json"))
        out = os.path.join(self.tmp, "mk")
        r = script("multikernel.py", res, "--out", out)
        self.assertIn("wrote", r.stdout)
        self.assert_charts(out, ["multikernel"])
        with open(os.path.join(out, "multikernel.svg")) as f:
            svg = f.read()
        for label in ("SHM store, n=8", "SHM atomic, n=1", "MSG client, n=8", "MSG server per update, n=1",
                      "cores k", "ns", "updates per second", "synth (Synthetic CPU"):
            self.assertTrue(label in svg, f"the chart does not show {label!r}")
        rep = os.path.join(self.tmp, "report")
        r = script("report.py", res, "--out", rep)
        self.assertNotIn("chart skipped: multikernel", r.stdout)
        with open(os.path.join(rep, "report.html")) as f:
            self.assertIn(TITLE_MK, f.read())

    def test_a_method_missing_draws_the_rest(self):
        res = multikernel_file(os.path.join(self.tmp, "mk.json"), methods=("shm-atomic",), lines=(4,))
        out = os.path.join(self.tmp, "mk")
        script("multikernel.py", res, "--out", out)
        with open(os.path.join(out, "multikernel.svg")) as f:
            svg = f.read()
        self.assertTrue("SHM atomic, n=4" in svg, "the one method given is not drawn")
        self.assertFalse("MSG client" in svg, "a method absent from the file is drawn")

    def test_server_cost_of_zero_is_left_out(self):
        """A server cost below the clock's resolution is recorded as 0 (the reference file has one): the chart
        leaves it off its log axes instead of failing."""
        path = multikernel_file(os.path.join(self.tmp, "mk.json"))
        with open(path) as f:
            doc = json.load(f)
        for p in doc["points"]:
            if p["method"] == "msg" and p["k"] == 2:
                p["server_per_update_ns"] = {"median": 0.0, "min": 0.0, "max": 0.5, "samples": 3}
        with open(path, "w") as f:
            json.dump(doc, f)
        out = os.path.join(self.tmp, "mk")
        script("multikernel.py", path, "--out", out)
        self.assert_charts(out, ["multikernel"])

    def test_no_points_is_skipped_with_a_note(self):
        res = multikernel_file(os.path.join(self.tmp, "mk.json"), ks=())
        r = script("multikernel.py", res, "--out", os.path.join(self.tmp, "mk"))
        self.assertIn("skipped multikernel: the file has no measured multikernel point", r.stdout)
        other = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        r = script("charts.py", other, "--out", os.path.join(self.tmp, "c"))
        self.assertIn("skipped multikernel: not a multikernel file", r.stdout)

    def test_real_run(self):
        if not BINARY:
            self.skipTest("no --binary given")
        res = os.path.join(self.tmp, "real-mk.json")
        r = subprocess.run([BINARY, "multikernel", "--lines", "1,2", "--ops-per-point", "1000", "--repetitions", "1",
                            "--quiet", "--out", res], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.tmp, "mk")
        script("multikernel.py", res, "--out", out)
        self.assert_charts(out, ["multikernel"])
        rep = os.path.join(self.tmp, "report")
        r = script("report.py", res, "--out", rep)
        self.assertNotIn("chart skipped: multikernel", r.stdout)


TITLE_MK = "Multikernel Fig. 3: updating shared cache lines, by shared memory or by messages to one server"


def claim(cid, a, b, factor, metric="p50_rtt_ns", relation=">=", where=None, **extra):
    return {"id": cid, "text": cid, "metric": metric, "a": {"transport": a, "wait": "spin"},
            "b": {"transport": b, "wait": "block"}, "relation": relation, "factor": factor,
            "where": where or {"pattern": "pingpong", "payload_bytes": 64, "placement": "cross-core"}, **extra}


class ClaimsCase(TmpCase):
    def verdicts(self, claims, *args):
        """plot/claims.py on these claims and results files (and options): verdicts by id, and its stdout."""
        path = os.path.join(self.tmp, "claims.json")
        with open(path, "w") as f:
            json.dump({"claims": claims}, f)
        out = os.path.join(self.tmp, "verdicts.json")
        r = script("claims.py", path, *args, "--json", out)
        with open(out) as f:
            return {v["id"]: v for v in json.load(f)}, r.stdout


class Claims(ClaimsCase):
    def crafted(self, name, runs):
        return results_file(os.path.join(self.tmp, name), runs)

    def pp(self, transport, wait, p50, spread=1.02, placement="cross-core"):
        return row(0, transport, wait, "pingpong", 64, placement, p50=p50, spread=spread, tail=0.0)

    def test_supported_refuted_single_file(self):
        res = self.crafted("a.json", [self.pp("fast", "spin", 1000), self.pp("slow", "block", 10000),
                                      self.pp("near", "block", 2000)])
        v, out = self.verdicts([claim("ten", "fast", "slow", 5), claim("two", "fast", "near", 5),
                                claim("at-most", "fast", "near", 3, relation="<=")], res)
        self.assertEqual(v["ten"]["verdict"], "supported")
        self.assertAlmostEqual(v["ten"]["ratio"], 10, delta=0.5)
        self.assertIn("single run", v["ten"]["interval_kind"])
        self.assertEqual(v["two"]["verdict"], "refuted")
        self.assertEqual(v["at-most"]["verdict"], "supported")
        self.assertIn("[supported] ten", out)

    def test_inconclusive_when_spread_straddles_factor(self):
        # ratio of p50s is 5.5, but each row spreads 1.5x each way: p25..p75 of the ratio covers 5
        res = self.crafted("a.json", [self.pp("fast", "spin", 1000, spread=1.5),
                                      self.pp("slow", "block", 5500, spread=1.5)])
        v, _ = self.verdicts([claim("wide", "fast", "slow", 5)], res)
        self.assertEqual(v["wide"]["verdict"], "inconclusive")
        lo, hi = v["wide"]["interval"]
        self.assertLess(lo, 5)
        self.assertGreater(hi, 5)

    def test_inconclusive_when_files_disagree(self):
        a = self.crafted("a.json", [self.pp("fast", "spin", 1000), self.pp("slow", "block", 4000)])
        b = self.crafted("b.json", [self.pp("fast", "spin", 1000), self.pp("slow", "block", 7000)])
        c = self.crafted("c.json", [self.pp("fast", "spin", 1000), self.pp("slow", "block", 8000)])
        v, _ = self.verdicts([claim("x", "fast", "slow", 5)], a, b)
        self.assertEqual(v["x"]["verdict"], "inconclusive")
        self.assertEqual(v["x"]["interval_kind"], "min..max over 2 files")
        v, _ = self.verdicts([claim("x", "fast", "slow", 5)], b, c)
        self.assertEqual(v["x"]["verdict"], "supported")
        v, _ = self.verdicts([claim("x", "fast", "slow", 9)], b, c)
        self.assertEqual(v["x"]["verdict"], "refuted")

    def test_throughput_and_cpu_single_run_point(self):
        where = {"pattern": "stream", "payload_bytes": 64, "placement": "cross-core"}
        res = self.crafted("a.json", [row(0, "fast", "spin", "stream", 64, "cross-core", msgs_per_s=6e6, cpu_ns=100),
                                      row(0, "slow", "block", "stream", 64, "cross-core", msgs_per_s=1e6, cpu_ns=900)])
        v, _ = self.verdicts([claim("tput", "fast", "slow", 5, metric="msgs_per_s", where=where),
                              claim("cpu", "fast", "slow", 10, metric="cpu_ns_per_msg", where=where)], res)
        self.assertEqual(v["tput"]["verdict"], "supported")
        self.assertAlmostEqual(v["tput"]["ratio"], 6)
        self.assertIn("point value only", v["tput"]["interval_kind"])
        self.assertEqual(v["cpu"]["verdict"], "refuted")  # 9x < 10x

    def with_summary(self, name, configs):
        """A file with three repetitions per configuration and summary[] holding the given CIs of p50:
        configs = [(transport, wait, [p50 of each repetition], (ci_lo, ci_hi))]."""
        runs, summary = [], []
        for transport, wait, p50s, (lo, hi) in configs:
            for p50 in p50s:
                runs.append(self.pp(transport, wait, p50))
            values = [latency_block(samples(p, 1.02, tail=0.0))["rtt_ns"]["p50"] for p in p50s]
            summary.append({"transport": transport, "wait": wait, "pattern": "pingpong", "payload_bytes": 64,
                            "placement": "cross-core", "mode": "processes", "repetitions": len(p50s),
                            "ok_repetitions": len(p50s), "headline": "p50_rtt_ns",
                            "metrics": {"p50_rtt_ns": {"values": values, "median": sorted(values)[len(values) // 2],
                                                       "ci_lo": lo, "ci_hi": hi}}})
        path = self.crafted(name, runs)
        with open(path) as f:
            doc = json.load(f)
        doc["summary"] = summary
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def test_repetitions_use_the_summary_confidence_intervals(self):
        # Separate CIs: 5900/1020 .. 6100/980 = 5.8x .. 6.2x, all above 5: supported.
        res = self.with_summary("apart.json", [("fast", "spin", [990, 1000, 1010], (980, 1020)),
                                               ("slow", "block", [5950, 6000, 6050], (5900, 6100))])
        v, out = self.verdicts([claim("apart", "fast", "slow", 5)], res)
        self.assertEqual(v["apart"]["verdict"], "supported")
        self.assertIn("bootstrap 95% CIs", v["apart"]["interval_kind"])
        lo, hi = v["apart"]["interval"]
        self.assertAlmostEqual(lo, 5900 / 1020, places=6)
        self.assertAlmostEqual(hi, 6100 / 980, places=6)
        # The same medians (ratio about 5.5) but CIs that, scaled by the factor, overlap: inconclusive, although
        # every pair of repetitions alone would give a ratio above 5.
        res = self.with_summary("overlap.json", [("fast", "spin", [990, 1000, 1010], (800, 1150)),
                                                 ("slow", "block", [5450, 5500, 5550], (5000, 6000))])
        v, _ = self.verdicts([claim("overlap", "fast", "slow", 5)], res)
        self.assertEqual(v["overlap"]["verdict"], "inconclusive")
        self.assertIn("bootstrap 95% CIs", v["overlap"]["interval_kind"])
        lo, hi = v["overlap"]["interval"]
        self.assertLess(lo, 5)
        self.assertGreater(hi, 5)

    def test_repetitions_without_summary_use_min_max(self):
        res = self.crafted("old.json", [self.pp("fast", "spin", 1000), self.pp("fast", "spin", 1010),
                                        self.pp("slow", "block", 6000), self.pp("slow", "block", 6100)])
        v, _ = self.verdicts([claim("old", "fast", "slow", 5)], res)
        self.assertEqual(v["old"]["verdict"], "supported")
        self.assertIn("repetitions in one file", v["old"]["interval_kind"])

    def test_missing_data_names_what_is_missing(self):
        res = self.crafted("a.json", [self.pp("fast", "spin", 1000)])
        v, out = self.verdicts([claim("gone", "fast", "slow", 5, missing_data="needs the slow transport")], res)
        self.assertEqual(v["gone"]["verdict"], "inconclusive")
        self.assertIn("no data: needs the slow transport", out)

    def test_full_waits_claim(self):
        where = {"pattern": "stream", "payload_bytes": 64, "placement": "cross-core"}
        c = {"id": "full", "text": "full", "metric": "full_waits_per_msg", "a": {"capacity_requested": "unbounded"},
             "b": {"capacity_requested": 1}, "where": {**where, "transport": "pipe"}, "relation": ">=", "factor": 10}
        never_full = self.crafted("a.json", [cap_row("pipe", "spin", 1, 5e4, full_waits=500),
                                             cap_row("pipe", "spin", "unbounded", 1e5, full_waits=0)])
        v, _ = self.verdicts([c], never_full)
        self.assertEqual(v["full"]["verdict"], "supported")
        self.assertIsNone(v["full"]["ratio"], "an infinite advantage is written as null")
        self.assertAlmostEqual(v["full"]["b_value"], 0.25)
        # neither buffer was ever full: no advantage, not an infinite one
        both_zero = self.crafted("b.json", [cap_row("pipe", "spin", 1, 5e4, full_waits=0),
                                            cap_row("pipe", "spin", "unbounded", 1e5, full_waits=0)])
        v, _ = self.verdicts([c], both_zero)
        self.assertEqual(v["full"]["verdict"], "refuted")
        self.assertEqual(v["full"]["ratio"], 1.0)
        # full_waits null (a blocking call that cannot tell): no data, not zero
        blind = self.crafted("c.json", [cap_row("pipe", "block", 1, 5e4, full_waits=None),
                                        cap_row("pipe", "block", "unbounded", 1e5, full_waits=None)])
        v, out = self.verdicts([dict(c, missing_data="needs --wait spin")], blind)
        self.assertEqual(v["full"]["verdict"], "inconclusive")
        self.assertIn("no data: needs --wait spin", out)

    def test_syscalls_claim_reads_the_counted_calls(self):
        where = {"pattern": "stream", "payload_bytes": 64, "placement": "cross-core"}
        c = {"id": "sys", "text": "sys", "metric": "syscalls_per_msg", "a": {"transport": "shm", "wait": "spin"},
             "b": {"transport": "pipe", "wait": "block"}, "where": where, "relation": ">=", "factor": 2}
        shm, pipe = row(0, "shm", "spin", "stream", 64, "cross-core", msgs_per_s=1e7), \
            row(0, "pipe", "block", "stream", 64, "cross-core", msgs_per_s=5e5)
        shm["syscalls"] = {"per": "message", "per_msg": 0.25}
        pipe["syscalls"] = {"per": "message", "per_msg": 2.0}
        v, _ = self.verdicts([c], self.crafted("a.json", [shm, pipe]))
        self.assertEqual(v["sys"]["verdict"], "supported")
        self.assertAlmostEqual(v["sys"]["ratio"], 8.0)
        shm["syscalls"]["per_msg"] = 1.5  # a spinning ring that kept calling the kernel: only 1.33x
        v, _ = self.verdicts([c], self.crafted("b.json", [shm, pipe]))
        self.assertEqual(v["sys"]["verdict"], "refuted")

    def test_where_it_flips(self):
        res = self.crafted("a.json", [self.pp("fast", "spin", 1000), self.pp("slow", "block", 10000),
                                      self.pp("fast", "spin", 9000, placement="same-core"),
                                      self.pp("slow", "block", 10000, placement="same-core")])
        v, out = self.verdicts([claim("flip", "fast", "slow", 5,
                                      vary={"placement": ["cross-core", "same-core"]})], res)
        self.assertEqual(v["flip"]["verdict"], "supported")
        self.assertEqual({x["assignment"]["placement"]: x["verdict"] for x in v["flip"]["variants"]},
                         {"cross-core": "supported", "same-core": "refuted"})
        self.assertIn("placement: cross-core: supported", out)
        self.assertIn("same-core: refuted", out)

    def at_floor(self, p50, floor, wait="spin", size=8):
        r = row(0, "shm", wait, "pingpong", size, "cross-core", p50=p50, spread=1.01, tail=0.0)
        r["floor"]["rtt_ns"]["p50"] = floor
        r["floor"]["p50_ratio"] = r["latency"]["rtt_ns"]["p50"] / floor
        return r

    def test_one_sided_claim_judges_the_value_itself(self):
        c = {"id": "floor", "text": "floor", "metric": "p50_vs_floor", "a": {"transport": "shm", "wait": "spin"},
             "b": None, "where": {"pattern": "pingpong", "payload_bytes": 8, "placement": "cross-core"},
             "relation": "<=", "factor": 1.1}
        # ten repetitions at 1.00-1.09x the floor each measured before them (floors differ row to row)
        near = [self.at_floor(130 * (1 + i / 100), 130 + 5 * (i % 2)) for i in range(10)]
        v, out = self.verdicts([c], self.crafted("near.json", near))
        self.assertEqual(v["floor"]["verdict"], "supported")
        ratios = sorted(r["latency"]["rtt_ns"]["p50"] / r["floor"]["rtt_ns"]["p50"] for r in near)
        self.assertAlmostEqual(v["floor"]["ratio"], (ratios[4] + ratios[5]) / 2)
        self.assertIsNone(v["floor"]["b_value"])
        # n = 10: the order-statistics 95% CI of the median runs from the 2nd smallest to the 2nd largest
        self.assertEqual(v["floor"]["interval"], [ratios[1], ratios[8]])
        self.assertIn("distribution-free 95% CI of the median over 10 repetitions", v["floor"]["interval_kind"])
        self.assertIn("shm/spin; pingpong, 8 B, cross-core", out)
        self.assertNotIn(" vs ", out.split("\n")[1])
        # the same p50s against a floor 20 % lower: every row above 1.10x
        far = [self.at_floor(130 * (1 + i / 100), 104) for i in range(10)]
        v, _ = self.verdicts([c], self.crafted("far.json", far))
        self.assertEqual(v["floor"]["verdict"], "refuted")
        # half near, half far (a bimodal VM): the interval straddles 1.10x
        v, _ = self.verdicts([c], self.crafted("mixed.json", near[:5] + far[:5]))
        self.assertEqual(v["floor"]["verdict"], "inconclusive")
        # two repetitions: min..max, and how sure that is
        v, _ = self.verdicts([c], self.crafted("two.json", near[:2]))
        self.assertIn("min..max over 2 repetitions (holds the median with probability 50%", v["floor"]["interval_kind"])
        # rows without a floor (files from before runs[].floor): no data, not a ratio against nothing
        bare = [self.at_floor(130, 130) for _ in range(3)]
        for r in bare:
            del r["floor"]
        v, out = self.verdicts([dict(c, missing_data="needs runs[].floor")], self.crafted("bare.json", bare))
        self.assertEqual(v["floor"]["verdict"], "inconclusive")
        self.assertIn("no data: needs runs[].floor", out)

    def test_two_line_floor_metric_reads_the_rows_own_two_line_floor(self):
        c = {"id": "two", "text": "two", "metric": "p50_vs_two_line_floor", "a": {"transport": "shm", "wait": "spin"},
             "b": None, "where": {"pattern": "pingpong", "payload_bytes": 8, "placement": "cross-core"},
             "relation": "<=", "factor": 1.1, "missing_data": "needs runs[].floor.two_line"}

        def at(p50, one, two):
            r = self.at_floor(p50, one)
            r["floor"]["two_line"] = {"messages": 1000, "rtt_ns": {"p50": two, "p99": two * 1.2},
                                      "p50_ratio": r["latency"]["rtt_ns"]["p50"] / two}
            return r
        # 2.0x the one-line floor but 1.02x the two-line one (a regime where two lines cost twice one): supported,
        # so the metric divides by the two-line floor, not the cache line's
        slow = [at(440 + i, 220, 432) for i in range(8)]
        v, out = self.verdicts([c], self.crafted("slow.json", slow))
        self.assertEqual(v["two"]["verdict"], "supported", out)
        ratios = sorted(r["latency"]["rtt_ns"]["p50"] / 432 for r in slow)
        self.assertAlmostEqual(v["two"]["ratio"], (ratios[3] + ratios[4]) / 2)
        # the same rows against a two-line floor below the cache line's: refuted
        fast = [at(140 + i, 130, 110) for i in range(8)]
        v, _ = self.verdicts([c], self.crafted("fast.json", fast))
        self.assertEqual(v["two"]["verdict"], "refuted")
        # rows from before the two-line floor: no data
        for r in fast:
            del r["floor"]["two_line"]
        v, out = self.verdicts([c], self.crafted("old.json", fast))
        self.assertEqual(v["two"]["verdict"], "inconclusive")
        self.assertIn("no data: needs runs[].floor.two_line", out)

    def test_one_sided_claim_over_files_and_variants(self):
        c = {"id": "calls", "text": "calls", "metric": "syscalls_per_msg", "a": {"transport": "shm", "wait": "block"},
             "b": None, "where": {"pattern": "pingpong", "payload_bytes": 8, "placement": "cross-core"},
             "relation": "<=", "factor": 4, "vary": {"payload_bytes": [8, 64]}}

        def calls(per_rt, size=8):
            r = row(0, "shm", "block", "pingpong", size, "cross-core", p50=20000, tail=0.0)
            r["syscalls"] = {"per": "round_trip", "per_msg": per_rt}
            return r
        a = self.crafted("a.json", [calls(3.98), calls(4.4, size=64)])
        b = self.crafted("b.json", [calls(3.99), calls(4.5, size=64)])
        v, out = self.verdicts([c], a, b)
        self.assertEqual(v["calls"]["verdict"], "supported")
        self.assertEqual(v["calls"]["interval_kind"], "min..max of the medians of 2 files")
        self.assertEqual({x["assignment"]["payload_bytes"]: x["verdict"] for x in v["calls"]["variants"]},
                         {8: "supported", 64: "refuted"})
        self.assertIn("A 3.99 (interval 3.98..3.99, min..max of the medians of 2 files); claimed <= 4", out)
        self.assertIn("8 B: supported (3.99); 64 B: refuted (4.45)", out)  # values in their unit, not "x"

    # same_regime: "fast" streams at least 2x "naive", and a 64 B stream row with its cache-line floor
    REGIME_CLAIM = {"id": "ring", "text": "ring", "metric": "msgs_per_s", "a": {"transport": "fast", "wait": "spin"},
                    "b": {"transport": "naive", "wait": "spin"},
                    "where": {"pattern": "stream", "payload_bytes": 64, "placement": "cross-core"},
                    "relation": ">=", "factor": 2, "same_regime": True}

    @staticmethod
    def stream_at_floor(transport, rate, floor):
        r = row(0, transport, "spin", "stream", 64, "cross-core", msgs_per_s=rate)
        r["floor"] = {"kind": "cacheline_pingpong", "when": "just before this run", "messages": 100,
                      "rtt_ns": {"p50": floor, "p99": floor * 1.2}}
        return r

    def test_same_regime_leaves_out_rows_of_another_floor(self):
        c, stream = self.REGIME_CLAIM, self.stream_at_floor
        # In the usual regime (130 ns) the ring is 3x the naive one; in excursions to 250 ns the ring falls to the
        # naive one's level and the naive ring's own excursions to 66 ns make it look fast. With every row the
        # medians give 0.4x; within the regime, 3x.
        runs = [stream("fast", 60e6 + i * 1e5, 128 + i % 3) for i in range(7)] + \
               [stream("naive", 20e6 + i * 1e5, 129 + i % 3) for i in range(7)] + \
               [stream("fast", 20e6, 250) for _ in range(8)] + [stream("naive", 50e6, 66) for _ in range(8)]
        res = self.crafted("regimes.json", runs)
        v, out = self.verdicts([c, dict(c, id="all", same_regime=False)], res)
        self.assertEqual(v["ring"]["verdict"], "supported")
        self.assertAlmostEqual(v["ring"]["ratio"], 60.3e6 / 20.3e6, places=6)
        self.assertEqual(v["ring"]["left_out"], 16)
        self.assertIn("16 measured in another regime left out", v["ring"]["interval_kind"])
        self.assertIn("distribution-free 95% CIs of both medians over 7 and 7 repetitions", v["ring"]["interval_kind"])
        lo, hi = v["ring"]["interval"]
        self.assertAlmostEqual(lo, 60.0e6 / 20.6e6, places=6)  # the n = 7 CI of a median: 1st to 7th value
        self.assertAlmostEqual(hi, 60.6e6 / 20.0e6, places=6)
        self.assertAlmostEqual(v["all"]["ratio"], 20e6 / 50e6)
        self.assertNotEqual(v["all"]["verdict"], "supported")
        # rows from before runs[].floor: nothing to tell the regimes apart with, so every row counts, and it says so
        for r in runs:
            del r["floor"]
        v, _ = self.verdicts([c], self.crafted("old.json", runs))
        self.assertIn("regime not checked", v["ring"]["interval_kind"])
        self.assertEqual(v["ring"]["left_out"], 0)

    def test_same_regime_picks_the_regime_holding_most_rows_not_the_median_floor(self):
        """A sweep split between two regimes: the median of all floors lies between them, in neither. The claim
        takes the regime where both sides have the most rows, whichever half of the floors it is."""
        c, stream = self.REGIME_CLAIM, self.stream_at_floor
        # 130 ns: fast 4 rows (3x naive), naive 6; 220 ns: fast 6 rows (5x naive), naive 6. Median floor ~175 ns.
        usual = [stream("fast", 60e6, 130 + i) for i in range(4)] + [stream("naive", 20e6, 129 + i) for i in range(6)]
        slow = [stream("fast", 25e6, 220 + i) for i in range(6)] + [stream("naive", 5e6, 219 + i) for i in range(6)]
        v, _ = self.verdicts([c], self.crafted("split.json", usual + slow))
        self.assertEqual(v["ring"]["verdict"], "supported")
        self.assertAlmostEqual(v["ring"]["ratio"], 5.0)
        self.assertEqual(v["ring"]["left_out"], 10)
        self.assertIn("(222 ns), 10 measured in another regime left out", v["ring"]["interval_kind"])
        # one more fast row at 130 ns: 5 against 6 there, still fewer than 6 against 6 at 220
        v, _ = self.verdicts([c], self.crafted("split2.json", usual + [stream("fast", 60e6, 131)] + slow))
        self.assertAlmostEqual(v["ring"]["ratio"], 5.0)
        # two more: 6 against 6 in both, 12 rows in both: the lower floor
        v, _ = self.verdicts([c], self.crafted("split3.json", usual + [stream("fast", 60e6, 131)] * 2 + slow))
        self.assertAlmostEqual(v["ring"]["ratio"], 3.0)

    def test_paired_compares_rows_run_one_after_the_other(self):
        """paired: in stretches that the floor does not mark (every row at 130 ns), A at 0.95x B within each
        stretch; the sweep's shuffle put most of B's rows in the slow stretch, so the two medians say 2.05x and
        only the pairs say 0.95x. A row with no neighbour of the other side is left out and counted; with
        same_regime a pair whose floors differ by more than 20% is left out."""
        where = {"pattern": "stream", "payload_bytes": 65536, "placement": "cross-core"}
        c = {"id": "large", "text": "large", "metric": "bytes_per_s", "a": {"transport": "ring", "wait": "spin"},
             "b": {"transport": "copy", "wait": "spin"}, "where": where, "relation": ">=", "factor": 0.9,
             "same_regime": True, "paired": True}

        def stream(transport, rate, floor=130):
            r = row(0, transport, "spin", "stream", 65536, "cross-core", msgs_per_s=rate / 65536)
            r["floor"] = {"kind": "cacheline_pingpong", "when": "just before this run", "messages": 100,
                          "rtt_ns": {"p50": floor, "p99": floor * 1.2}}
            return r
        fast, slow = 28e9, 13e9
        runs = []
        for i in range(11):  # fast stretch: mostly A
            runs += [stream("ring", 0.95 * fast), stream("copy", fast)] if i < 5 else [stream("ring", 0.95 * fast)]
        for i in range(11):  # slow stretch: mostly B
            runs += [stream("copy", slow), stream("ring", 0.95 * slow)] if i < 5 else [stream("copy", slow)]
        runs += [stream("ring", 0.95 * fast, 250), stream("copy", fast)]  # a pair across a regime change
        res = self.crafted("stretches.json", runs)
        v, _ = self.verdicts([c, dict(c, id="medians", paired=False)], res)
        self.assertAlmostEqual(v["medians"]["ratio"], 0.95 * fast / slow)
        self.assertAlmostEqual(v["large"]["ratio"], 0.95)
        self.assertEqual(v["large"]["verdict"], "supported")
        # 5 pairs in each stretch, 1 across the change from fast to slow (2.05x), and 1 across a regime change
        self.assertEqual(v["large"]["pairs"], 11)
        self.assertIn("over 11 pairs of rows run one after the other", v["large"]["interval_kind"])
        self.assertIn("10 rows without a neighbour of the other side left out", v["large"]["interval_kind"])
        self.assertIn("1 pairs whose two cache-line floors differ by more than 20%", v["large"]["interval_kind"])
        # 0.95x in every pair: below a 1.0x claim, for sure; the medians cannot tell
        v, _ = self.verdicts([dict(c, factor=1.0), dict(c, id="medians", paired=False, factor=1.0)], res)
        self.assertEqual(v["large"]["verdict"], "refuted")
        self.assertNotEqual(v["medians"]["verdict"], "refuted")
        sys.path.insert(0, PLOT_DIR)
        import claims as cl
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            json.dump([dict(c, b=None)], f)
        with self.assertRaises(ValueError):
            cl.load_claims(bad)

    def test_median_ci_order_statistics(self):
        sys.path.insert(0, PLOT_DIR)
        import claims as cl
        values = list(range(1, 16))  # n = 15: P(Bin(15, 1/2) <= 3) = 1.8 %, <= 4 = 5.9 %: 4th to 12th
        self.assertEqual(cl.median_ci(values)[:2], (4, 12))
        self.assertEqual(cl.median_ci(list(range(1, 11)))[:2], (2, 9))  # n = 10: 2nd to 9th
        self.assertEqual(cl.median_ci([5, 1, 3, 4, 2, 6])[:2], (1, 6))  # n = 6: min..max already 97 %
        lo, hi, kind = cl.median_ci([3, 1, 2, 5, 4])
        self.assertEqual((lo, hi), (1, 5))
        self.assertIn("94%", kind)
        self.assertEqual(cl.median_ci([7])[:2], (7, 7))

    def test_ring_targets_file_loads_and_names_its_data(self):
        """plot/ring_targets.json: every claim loads, and on a file without the ring's sweeps each says what to run."""
        sys.path.insert(0, PLOT_DIR)
        import claims as cl
        targets = cl.load_claims(os.path.join(PLOT_DIR, "ring_targets.json"))
        self.assertGreaterEqual(len(targets), 5)
        res = self.crafted("pipe.json", [self.pp("pipe", "block", 20000)])
        r = script("claims.py", os.path.join(PLOT_DIR, "ring_targets.json"), res)
        self.assertEqual(r.stdout.count("[inconclusive]"), len(targets))
        self.assertEqual(r.stdout.count("README.md (Ring targets on your machine)"), len(targets))


def mk_point(method, k, n, ups, lo=None, hi=None, samples=3, degenerate=False):
    """One multikernel point with updates_per_s {median, min, max} over `samples` trials."""
    stat = {"median": ups, "min": lo if lo is not None else ups, "max": hi if hi is not None else ups,
            "samples": samples}
    return {"method": method, "k": k, "n": n, "cpus": list(range(k)), "server_cpu": 0 if method == "msg" else None,
            "degenerate": degenerate, "status": "ok", "per_op_cycles": None,
            "per_op_ns": {"median": 1e9 / ups, "min": 1e9 / stat["max"], "max": 1e9 / stat["min"], "samples": samples},
            "server_per_update_ns": mk_stat(1.0) if method == "msg" else None, "updates_per_s": stat,
            "trials": []}


def mk_crafted():
    """msg beats shm-atomic at k = 4, n = 8 (CIs apart), ties it at n = 1 (CIs overlap), loses at k = 2 and to
    plain stores; msg at k = 1 is the server alone (degenerate) with a huge rate that must never be compared."""
    return [mk_point("msg", 1, 8, 9e9, degenerate=True), mk_point("shm-atomic", 1, 8, 2e7),
            mk_point("msg", 2, 8, 3e6, 2.9e6, 3.1e6), mk_point("shm-atomic", 2, 8, 6e6, 5.8e6, 6.2e6),
            mk_point("msg", 4, 8, 10e6, 9.5e6, 10.5e6), mk_point("shm-atomic", 4, 8, 5e6, 4.8e6, 5.2e6),
            mk_point("shm-store", 4, 8, 50e6, 45e6, 55e6),
            mk_point("msg", 4, 1, 10e6, 9.5e6, 10.5e6), mk_point("shm-atomic", 4, 1, 9.5e6, 8e6, 11e6)]


MK_CLAIM = {"id": "mk", "text": "mk", "source": "multikernel", "metric": "updates_per_s",
            "a": {"method": "msg"}, "b": {"method": "shm-atomic"}, "where": {"k": "largest", "n": 8},
            "relation": ">=", "factor": 1,
            "vary": {"b.method": ["shm-atomic", "shm-store"], "n": [1, 8], "k": [1, 2, 4]}}


class MultikernelClaims(ClaimsCase):
    """The multikernel claim, answered from the points of an `ipcbench multikernel` file (a main or companion)."""

    def test_verdicts_and_where_it_flips(self):
        mk = multikernel_file(os.path.join(self.tmp, "mk.json"), points=mk_crafted())
        v, out = self.verdicts([MK_CLAIM], mk)
        head = v["mk"]
        self.assertEqual(head["verdict"], "supported")
        self.assertIn("k=4, n=8", head["conditions"], "k 'largest' is the largest k in the file")
        self.assertAlmostEqual(head["ratio"], 2.0)
        lo, hi = head["interval"]
        self.assertAlmostEqual(lo, 9.5 / 5.2)
        self.assertAlmostEqual(hi, 10.5 / 4.8)
        self.assertIn("min..max over 3 and 3 samples (trials)", head["interval_kind"])
        by = {tuple(sorted(x["assignment"].items())): x["verdict"] for x in head["variants"]}
        self.assertEqual(by[(("b.method", "shm-atomic"), ("k", 4), ("n", 1))], "inconclusive")  # CIs overlap
        self.assertEqual(by[(("b.method", "shm-store"), ("k", 4), ("n", 8))], "refuted")
        self.assertEqual(by[(("b.method", "shm-atomic"), ("k", 2), ("n", 8))], "refuted")
        self.assertFalse(any(x["assignment"]["k"] == 1 for x in head["variants"]), "degenerate msg compared")
        self.assertIn("k: 2: refuted (0.50x); 4: supported (2.00x)", out)
        self.assertIn("n: 1: inconclusive", out)

    def test_lower_is_better_and_single_trial(self):
        points = [mk_point("msg", 2, 8, 4e6, samples=1), mk_point("shm-atomic", 2, 8, 1e6, samples=1)]
        mk = multikernel_file(os.path.join(self.tmp, "mk.json"), points=points)
        claim = dict(MK_CLAIM, metric="per_op_ns", vary={}, factor=3)
        v, _ = self.verdicts([claim], mk)
        self.assertEqual(v["mk"]["verdict"], "supported")  # per-op 250 ns vs 1000 ns: 4x lower
        self.assertAlmostEqual(v["mk"]["ratio"], 4.0)
        self.assertEqual(v["mk"]["interval_kind"], "single trial (point value only)")

    def test_from_a_companion_and_missing(self):
        res = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        mk = multikernel_file(os.path.join(self.tmp, "mk.json"), points=mk_crafted())
        v, out = self.verdicts([dict(MK_CLAIM, missing_data="needs a multikernel file")], res)
        self.assertEqual(v["mk"]["verdict"], "inconclusive")
        self.assertIn("no data: needs a multikernel file", out)
        v, out = self.verdicts([MK_CLAIM], res, "--with", mk)
        self.assertEqual(v["mk"]["verdict"], "supported")
        self.assertIn(f"--with {mk}", out)

    def test_claims_file_rejects_mixed_metrics(self):
        path = os.path.join(self.tmp, "bad.json")
        with open(path, "w") as f:
            json.dump({"claims": [dict(MK_CLAIM, metric="msgs_per_s")]}, f)
        res = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        r = subprocess.run([sys.executable, os.path.join(PLOT_DIR, "claims.py"), path, res], capture_output=True,
                           text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("only they", r.stderr)


# ---- the report in a real browser --------------------------------------------------------------------------------

class Browser(TmpCase):
    def test_report_renders_in_chromium(self):
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        if not browser:
            self.skipTest("chromium is not installed (sudo apt-get install chromium)")
        # as ./setup.sh run writes it: the suite with a capacity and a multikernel companion
        res = results_file(os.path.join(self.tmp, "a.json"), synthetic_suite())
        cap = results_file(os.path.join(self.tmp, "a-capacity.json"), capacity_sweep())
        mk = multikernel_file(os.path.join(self.tmp, "a-multikernel.json"))
        out = os.path.join(self.tmp, "report")
        script("report.py", res, "--with", cap, "--with", mk, "--out", out)
        n_images = len(CHARTS) + 2
        url = "file://" + os.path.join(out, "report.html")
        common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

        dom = subprocess.run(common + [f"--user-data-dir={os.path.join(self.tmp, 'profile1')}",
                                       "--virtual-time-budget=5000", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        loaded = re.search(r'data-images-loaded="(\d+)"', dom.stdout)
        total = re.search(r'data-images-total="(\d+)"', dom.stdout)
        self.assertTrue(loaded and total, "the report's onload script did not run:\n" + dom.stdout[:500])
        self.assertEqual(int(total.group(1)), n_images)
        self.assertEqual(int(loaded.group(1)), n_images, "not every chart image decoded")

        shot = os.path.join(self.tmp, "shot.png")
        r = subprocess.run(common + [f"--user-data-dir={os.path.join(self.tmp, 'profile2')}",
                                     f"--screenshot={shot}", "--window-size=1280,4000", url],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assert_png(shot)
        import matplotlib.image
        import numpy as np
        pixels = matplotlib.image.imread(shot)[..., :3]
        self.assertEqual(pixels.shape[:2], (4000, 1280))
        colours = np.unique((pixels.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
        self.assertGreater(len(colours), 50, "the screenshot is (nearly) one colour")
        self.assertGreater(float(pixels.std()), 0.05, "the screenshot is nearly blank")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--plot-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../plot"))
    ap.add_argument("--binary", default=os.environ.get("IPCBENCH_BINARY", ""))
    args, rest = ap.parse_known_args()
    PLOT_DIR, BINARY = os.path.abspath(args.plot_dir), args.binary
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
