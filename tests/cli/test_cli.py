#!/usr/bin/env python3
"""End-to-end tests of the ipcbench binary: exit statuses, one-line errors, JSON against results/schema.json.

Usage: test_cli.py --binary PATH --schema PATH [unittest args]
   or: IPCBENCH_BINARY=... IPCBENCH_SCHEMA=... test_cli.py
Every sweep here is tiny (a few hundred messages per run); the whole file takes well under a minute.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import jsonschema

BINARY = os.environ.get("IPCBENCH_BINARY", "")
SCHEMA = os.environ.get("IPCBENCH_SCHEMA", "")
TINY = ["--sizes", "64", "--messages", "300", "--warmup", "50", "--floor-duration", "0.03"]
MEMCPY_SIZES = [64, 256, 1024, 4096, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20]


def run(args, timeout=60, prefix=()):
    return subprocess.run([*prefix, BINARY, *args], capture_output=True, text=True, timeout=timeout)


def load_schema():
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def ipcbench_pids(marker):
    """Processes whose command line contains `marker` (the unique --out path), other than us."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmd and state != "Z":
            pids.append(int(entry))
    return pids


def absent_classes():
    """Placement classes --list says are not available here."""
    r = run(["--list"])
    return re.findall(r"(?m)^\s+here: (\S+) is not available here \(", r.stdout)


def two_cpus_prefix():
    """taskset to the first two allowed CPUs, so a --matrix is 2x2 on any machine (one CPU: 1x1)."""
    cpus = sorted(os.sched_getaffinity(0))[:2]
    return ["taskset", "-c", ",".join(map(str, cpus))] if shutil.which("taskset") else [], cpus


class TmpDirCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ipcbench-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class ListAndHelp(unittest.TestCase):
    def test_list_names_everything(self):
        r = run(["--list"])
        self.assertEqual(r.returncode, 0, r.stderr)
        for word in ["shm", "mq", "pipe", "unix", "tcp", "block", "spin", "hybrid", "pingpong", "stream",
                     "same-core", "cross-core", "smt-sibling"]:
            self.assertRegex(r.stdout, rf"(?m)^\s+{word}\s", f"--list does not name {word}")

    def test_help(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--transports", r.stdout)
        self.assertIn("Exit status", r.stdout)


class BadInput(TmpDirCase):
    """Every refusal: exit 2, exactly one line on stderr that names the bad value, no output file."""

    def refused(self, args, *needles, prefix=()):
        out = os.path.join(self.tmp, "sub", "r.json")
        r = run([*args, "--out", out], prefix=prefix)
        self.assertEqual(r.returncode, 2, f"{args}: stdout={r.stdout!r} stderr={r.stderr!r}")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, f"{args}: expected one line on stderr, got {r.stderr!r}")
        self.assertTrue(r.stderr.endswith("\n"), f"{args}: stderr line not terminated: {r.stderr!r}")
        self.assertTrue(lines[0].startswith("ipcbench: error: "), lines[0])
        for n in needles:
            self.assertIn(n, lines[0], f"{args}: message does not name {n!r}")
        self.assertEqual(r.stdout, "", f"{args}: wrote to stdout")
        self.assertFalse(os.path.exists(out), f"{args}: wrote {out}")
        self.assertEqual(os.listdir(self.tmp), [], f"{args}: created something in the output directory")
        return lines[0]

    def test_unknown_transport(self):
        self.refused(["--transports", "shm,carrier-pigeon"], "carrier-pigeon", "--transports")

    def test_unknown_pattern(self):
        self.refused(["--patterns", "broadcast"], "broadcast", "--patterns")

    def test_unknown_wait(self):
        self.refused(["--wait", "sleep"], "sleep", "--wait")

    def test_unknown_placement(self):
        self.refused(["--placement", "far-away"], "far-away", "--placement")

    def test_unknown_copy_in(self):
        self.refused(["--copy-in", "warp"], "warp", "--copy-in")

    def test_unknown_reply_line(self):
        self.refused(["--reply-line", "diagonal"], "diagonal", "--reply-line")

    def test_placement_class_absent_here(self):
        """A class this machine does not have, named explicitly: one line saying so and why."""
        absent = absent_classes()
        if not absent:
            self.skipTest("every placement class is available on this machine")
        cls = absent[0]
        line = self.refused(["--placement", f"same-core,{cls}"], f"--placement: {cls} is not available here (")
        self.assertTrue(line.endswith(")"), line)

    def test_matrix_with_cpus_or_placement(self):
        self.refused(["--matrix", "--cpus", "0:0"], "--matrix", "--cpus")
        self.refused(["--matrix", "--placement", "same-core"], "--matrix", "--placement")

    def test_matrix_with_stream(self):
        self.refused(["--matrix", "--patterns", "pingpong,stream"], "--matrix", "--patterns")

    def test_matrix_budget_without_matrix(self):
        self.refused(["--matrix-budget", "5"], "--matrix-budget", "--matrix")

    def test_matrix_budget_junk(self):
        self.refused(["--matrix", "--matrix-budget", "soon"], "--matrix-budget", "soon")

    def test_size_zero(self):
        self.refused(["--sizes", "64,0"], "'0'")

    def test_size_negative(self):
        self.refused(["--sizes", "-1"], "'-1'")

    def test_size_bad_suffix(self):
        self.refused(["--sizes", "4X"], "'4X'")

    def test_empty_values(self):
        # An empty value must be refused, not read as "not given" (that would start the default suite);
        # the other options keep the sweep tiny should it start anyway.
        small = {"--transports": "shm", "--patterns": "stream", "--sizes": "64", "--placement": "same-core",
                 "--messages": "10", "--warmup": "0", "--capacity": "1"}
        for option in small:
            with self.subTest(option=option):
                rest = [x for k, v in small.items() if k != option for x in (k, v)]
                self.refused([*rest, option, ""], option)

    def test_mq_size_above_msgsize_max(self):
        with open("/proc/sys/fs/mqueue/msgsize_max") as f:
            if int(f.read()) >= 64 * 1024:
                self.skipTest("fs.mqueue.msgsize_max allows 64K here")
        self.refused(["--transports", "mq", "--sizes", "64K"], "64K", "msgsize_max", "sysctl")

    def test_capacity_junk(self):
        self.refused(["--capacity", "lots"], "--capacity", "'lots'", "unbounded")

    def test_capacity_negative(self):
        self.refused(["--capacity", "0,-1"], "--capacity", "'-1'")

    def test_capacity_twice(self):
        self.refused(["--capacity", "4,unbounded,4"], "--capacity", "'4'")

    def test_capacity_above_mq_msg_max(self):
        with open("/proc/sys/fs/mqueue/msg_max") as f:
            msg_max = int(f.read())
        self.refused(["--transports", "mq", "--sizes", "64", "--capacity", f"1,{msg_max + 1}"],
                     f"capacity {msg_max + 1}", "msg_max", "sysctl")

    def test_capacity_above_pipe_max_size_with_explicit_size(self):
        with open("/proc/sys/fs/pipe-max-size") as f:
            max_bytes = int(f.read())
        self.refused(["--transports", "pipe", "--sizes", "64K", "--capacity", str(max_bytes // 65536 + 1)],
                     "64K", "pipe-max-size", "sysctl")

    def test_cpu_that_does_not_exist(self):
        self.refused(["--cpus", "0:99"], "99")

    def test_cpu_outside_affinity_mask(self):
        if not shutil.which("taskset"):
            self.skipTest("taskset is not installed")
        if len(os.sched_getaffinity(0)) < 2 or 1 not in os.sched_getaffinity(0):
            self.skipTest("needs CPUs 0 and 1 allowed")
        line = self.refused(["--cpus", "0:1"], "CPU 1", "affinity", prefix=["taskset", "-c", "0"])
        self.assertIn("taskset", line)

    def test_negative_messages(self):
        self.refused(["--messages", "-5"], "--messages", "'-5'")

    def test_non_numeric_messages(self):
        self.refused(["--messages", "abc"], "--messages", "'abc'")

    def test_zero_timeout(self):
        self.refused(["--timeout", "0"], "--timeout", "'0'")

    def test_bad_duration(self):
        self.refused(["--duration", "x"], "--duration", "'x'")

    def test_bad_floor_duration(self):
        self.refused(["--floor-duration", "0"], "--floor-duration", "'0'")

    def test_zero_repetitions(self):
        self.refused(["--repetitions", "0"], "--repetitions", "'0'")

    def test_non_numeric_seed(self):
        self.refused(["--seed", "lucky"], "--seed", "'lucky'")

    def test_cpus_and_placement_together(self):
        self.refused(["--cpus", "0:0", "--placement", "same-core"], "--cpus", "--placement")

    def test_zero_producers(self):
        self.refused(["--patterns", "mailbox", "--producers", "0"], "--producers", "'0'")

    def test_too_many_consumers(self):
        self.refused(["--patterns", "mailbox", "--consumers", "1,65"], "--consumers", "'65'")

    def test_producers_without_mailbox(self):
        self.refused(["--patterns", "stream", "--producers", "2"], "--producers", "mailbox")

    def test_reply_sizes_without_rpc(self):
        self.refused(["--patterns", "pingpong", "--reply-sizes", "64"], "--reply-sizes", "rpc")

    def test_reply_size_zero(self):
        self.refused(["--patterns", "rpc", "--reply-sizes", "0"], "'0'")

    def test_unknown_flag(self):
        self.refused(["--frobnicate"], "--frobnicate")

    def test_unwritable_out(self):
        out = "/proc/ipcbench-nope/x.json"
        r = run(["--transports", "shm", *TINY, "--out", out])
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("--out", lines[0])
        self.assertIn("/proc/ipcbench-nope", lines[0])
        self.assertEqual(r.stdout, "")


class SchemaCase(TmpDirCase):
    """A case whose sweeps write results files: each is checked against results/schema.json and every latency
    summary against its histogram."""

    @classmethod
    def setUpClass(cls):
        cls.validator = load_schema()

    def sweep(self, *extra, expect=0):
        out = os.path.join(self.tmp, "r.json")
        r = run([*extra, "--out", out])
        self.assertEqual(r.returncode, expect, f"stderr:\n{r.stderr}")
        self.assertFalse(os.path.exists(out + ".tmp"), "temporary file left behind")
        with open(out) as f:
            doc = json.load(f)
        self.assert_valid(doc)
        return doc, r

    def assert_valid(self, doc):
        errors = sorted(self.validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        msg = "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:10])
        self.assertEqual(errors, [], "results do not match results/schema.json:\n" + msg)
        for i, r in enumerate(doc["runs"]):
            if "latency" in r and "rtt_ns" in r["latency"]:
                self.check_latency(r["latency"], f"runs[{i}]")
            if "latency" in r and "one_way" in r["latency"]:
                ow = r["latency"]["one_way"]
                self.check_latency({"rtt_ns": ow["ns"], "histogram": ow["histogram"]}, f"runs[{i}].one_way")
        for i, f in enumerate(doc["context"]["floors"]["cacheline_pingpong"]):
            if f["status"] == "ok":
                self.check_latency(f, f"floors[{i}]")

    def check_latency(self, lat, where):
        s, h = lat["one_way_ns" if lat.get("kind") == "one_way" else "rtt_ns"], lat["histogram"]
        self.assertTrue(s["min"] <= s["p50"] <= s["p90"] <= s["p99"] <= s["p999"] <= s["max"], f"{where}: {s}")
        self.assertTrue(s["min"] <= s["mean"] <= s["max"], f"{where}: {s}")
        n = len(h["count"])
        self.assertEqual((len(h["lo_ns"]), len(h["hi_ns"])), (n, n), f"{where}: histogram arrays differ in length")
        self.assertEqual(sum(h["count"]), s["count"], f"{where}: histogram does not hold every sample")
        for i in range(n):
            lo, hi = h["lo_ns"][i], h["hi_ns"][i]
            self.assertLess(lo, hi)
            self.assertLessEqual((hi - lo) / max(lo, 1), 1 / h["sub_buckets_per_octave"] + 1e-9 if lo >= 32 else 1)
            if i:
                self.assertLessEqual(h["hi_ns"][i - 1], lo, f"{where}: buckets overlap or are unsorted")
        self.assertLessEqual(h["lo_ns"][0], s["min"])
        self.assertGreater(h["hi_ns"][-1], s["max"] - 1)


class Sweeps(SchemaCase):
    def check_tiny_sweep(self, doc, verify):
        runs = doc["runs"]
        self.assertTrue(runs)
        pairs = {(r["cpus"]["producer"], r["cpus"]["consumer"]) for r in runs}
        placements = {r["placement"] for r in runs}
        expected = set()
        for t in ["shm", "mq", "pipe", "unix", "tcp"]:
            for w in (["spin", "block"] if t == "shm" else ["block"]):
                for p in ["pingpong", "stream"]:
                    for pl in placements:
                        expected.add((t, w, p, pl))
        keys = [(r["transport"], r["wait"], r["pattern"], r["placement"]) for r in runs]
        self.assertEqual(len(keys), len(set(keys)), "duplicate rows")
        self.assertEqual(set(keys), expected)
        allowed = os.sched_getaffinity(0)
        self.assertIn("same-core", placements)
        if len(allowed) >= 2:
            self.assertIn("cross-core", placements)
        for r in runs:
            where = f"{r['transport']}/{r['wait']}/{r['pattern']}/{r['placement']}"
            self.assertEqual(r["status"], "ok", f"{where}: {r.get('error')}")
            self.assertEqual(r["payload_bytes"], 64)
            self.assertEqual(r["messages"], 300, where)
            self.assertGreater(r["throughput"]["msgs_per_s"], 0, where)
            self.assertAlmostEqual(r["throughput"]["bytes_per_s"], r["throughput"]["msgs_per_s"] * 64,
                                   delta=r["throughput"]["bytes_per_s"] * 1e-9)
            self.assertEqual(r["cpu"]["producer"]["cpu"], r["cpus"]["producer"], where)
            self.assertEqual(r["cpu"]["consumer"]["cpu"], r["cpus"]["consumer"], where)
            if r["pattern"] == "pingpong":
                self.assertEqual(r["latency"]["rtt_ns"]["count"], 300, where)
            # Every message a side read in the measured phase carried its own sequence number; a stream's
            # producer reads nothing and has no count.
            self.assertEqual(r["cpu"]["consumer"]["in_sequence_messages"], 300, where)
            if r["pattern"] == "pingpong":
                self.assertEqual(r["cpu"]["producer"]["in_sequence_messages"], 300, where)
            else:
                self.assertNotIn("in_sequence_messages", r["cpu"]["producer"], where)
            if verify:
                # The receiving side checks every message, warm-up included.
                self.assertEqual(r["cpu"]["consumer"]["verified_messages"], 350, where)
                if r["pattern"] == "pingpong":
                    self.assertEqual(r["cpu"]["producer"]["verified_messages"], 350, where)
        self.check_counters(doc)
        floors = doc["context"]["floors"]["cacheline_pingpong"]
        floor_pairs = {(f["cpus"]["producer"], f["cpus"]["consumer"]) for f in floors}
        self.assertEqual(floor_pairs, pairs, "a floor entry per CPU pair used")
        for f in floors:
            self.assertEqual(f["status"], "ok", f.get("error"))
        self.check_floors(doc, pairs)
        self.assertNotIn("incomplete", doc["context"])

    def check_floors(self, doc, pairs):
        """context.floors has every floor of issue 4, each saying how it was measured; pingpong rows decompose."""
        ctx = doc["context"]
        floors = ctx["floors"]
        for key in ["clock", "null_syscall", "futex_wake", "memcpy", "futex_pingpong", "cacheline_pingpong",
                    "two_line_pingpong"]:
            self.assertIn(key, floors)
        for key in ["clock", "null_syscall", "futex_wake", "memcpy"]:
            self.assertTrue(floors[key]["method"], key)
        # The clock floor is context.clock, not a second measurement that could disagree with it.
        for key in ["source", "read_overhead_ns", "read_overhead_min_ns", "resolution_ns"]:
            self.assertEqual(floors["clock"][key], ctx["clock"][key], key)
        self.assertEqual([m["bytes"] for m in floors["memcpy"]["sizes"]], MEMCPY_SIZES)
        self.assertGreater(floors["null_syscall"]["ns_per_call"], 0)
        two = floors["two_line_pingpong"]
        self.assertEqual({(f["cpus"]["producer"], f["cpus"]["consumer"]) for f in two}, pairs,
                         "a two-line ping-pong per CPU pair used")
        for f in two:
            self.assertEqual(f["status"], "ok", f.get("error"))
            self.assertEqual(f["when"], "before")
            self.check_latency(f, "two_line_pingpong")
        futex = floors["futex_pingpong"]
        self.assertEqual({(f["cpus"]["producer"], f["cpus"]["consumer"]) for f in futex}, pairs,
                         "a futex ping-pong per CPU pair used")
        for f in futex:
            self.assertEqual(f["status"], "ok", f.get("error"))
            self.assertEqual(f["futex"]["wakes_per_round_trip"], 2)
            self.check_latency(f, "futex_pingpong")
            self.assertGreater(f["rtt_ns"]["p50"], floors["null_syscall"]["ns_per_call"])
        for r in doc["runs"]:
            # Every row that crosses CPUs, and every round trip, has the floor measured just before it; a
            # ratio to it only where the row has a round-trip time.
            where = f"{r['transport']}/{r['wait']}/{r['pattern']}/{r['placement']}"
            round_trip = r["pattern"] in ("pingpong", "rpc")
            if r["status"] == "ok" and (round_trip or r["cpus"]["producer"] != r["cpus"]["consumer"]):
                self.assertEqual(r["floor"]["when"], "just before this run", where)
                # over lines at 16 addresses, since a line's round trip depends on its address
                self.assertEqual(r["floor"]["lines"], 16, where)
                self.assertGreater(r["floor"]["rtt_ns"]["p50"], 0, where)
                self.assertEqual("p50_ratio" in r["floor"], round_trip, where)
                # a round trip across two CPUs: the two-line floor too, and the row's p50 in its units
                two_cpus = r["cpus"]["producer"] != r["cpus"]["consumer"]
                self.assertEqual("two_line" in r["floor"], round_trip and two_cpus, where)
                if round_trip and two_cpus:
                    t = r["floor"]["two_line"]
                    self.assertGreater(t["messages"], 0, where)
                    self.assertAlmostEqual(t["p50_ratio"], r["latency"]["rtt_ns"]["p50"] / t["rtt_ns"]["p50"],
                                           delta=1e-9 * t["p50_ratio"])
            else:
                self.assertNotIn("floor", r, where)
            if r["status"] != "ok" or r["pattern"] != "pingpong":
                self.assertNotIn("decomposition", r)
                continue
            d = r["decomposition"]
            self.assertEqual(d["rtt_p50_ns"], r["latency"]["rtt_ns"]["p50"])
            self.assertEqual(d["coherence_ns"], r["floor"]["rtt_ns"]["p50"])
            self.assertEqual(d["null_syscall_ns"], floors["null_syscall"]["ns_per_call"])
            self.assertAlmostEqual(d["coherence_ns"] + d["kernel_entry_ns"] + d["transport_ns"], d["rtt_p50_ns"],
                                   delta=1e-6 * d["rtt_p50_ns"])

    def check_counters(self, doc):
        """System calls per message and perf counters: present where context.perf says they can be."""
        perf = doc["context"]["perf"]
        self.assertTrue(perf["software"]["available"], perf["software"].get("reason"))
        tracepoint = perf["syscalls_tracepoint"]["available"]
        hardware = perf["hardware"]["available"]
        for r in doc["runs"]:
            where = f"{r['transport']}/{r['wait']}/{r['pattern']}/{r['placement']}"
            n = r["messages"]
            sides = [r["cpu"]["producer"], r["cpu"]["consumer"]]
            for side in sides:
                self.assertAlmostEqual(side["syscalls_per_msg"], side["syscalls"] / n, delta=1e-9)
                self.assertEqual("kernel_syscalls" in side, tracepoint, where)
                self.assertIn("software", side["perf"], where)
                self.assertEqual("hardware" in side["perf"], hardware, where)
                if r["transport"] != "shm" and r["wait"] == "block":
                    # A blocking kernel transport: at least one call per message each way, per side.
                    calls = 2 if r["pattern"] == "pingpong" else 1
                    self.assertGreaterEqual(side["syscalls_per_msg"], calls, where)
            self.assertEqual(r["syscalls"]["per"], "round_trip" if r["pattern"] == "pingpong" else "message")
            self.assertAlmostEqual(r["syscalls"]["per_msg"], sum(s["syscalls"] for s in sides) / n, delta=1e-9)
            self.assertEqual("kernel_per_msg" in r["syscalls"], tracepoint, where)

    def test_tiny_sweep_all_transports(self):
        doc, r = self.sweep("--transports", "shm,mq,pipe,unix,tcp", *TINY)
        self.check_tiny_sweep(doc, verify=False)
        self.assertIn("results: ", r.stdout)
        ctx = doc["context"]
        self.assertEqual(ctx["argv"][0], BINARY)
        self.assertEqual(ctx["command_line"], " ".join(ctx["argv"]))

    def test_tiny_sweep_verify(self):
        doc, _ = self.sweep("--transports", "shm,mq,pipe,unix,tcp", *TINY, "--verify", "--quiet")
        self.check_tiny_sweep(doc, verify=True)
        self.assertTrue(all(r["verify"] for r in doc["runs"]))
        self.assertEqual({r["mode"] for r in doc["runs"]}, {"processes"})

    def test_tiny_sweep_threads(self):
        doc, _ = self.sweep("--threads", "--transports", "shm,mq,pipe,unix,tcp", *TINY, "--verify", "--quiet")
        self.check_tiny_sweep(doc, verify=True)
        self.assertEqual({r["mode"] for r in doc["runs"]}, {"threads"})

    def test_mq_default_sizes_skip_64k(self):
        with open("/proc/sys/fs/mqueue/msgsize_max") as f:
            if int(f.read()) >= 64 * 1024:
                self.skipTest("fs.mqueue.msgsize_max allows 64K here")
        doc, _ = self.sweep("--transports", "mq", "--messages", "200", "--warmup", "20", "--patterns", "pingpong",
                            "--placement", "cross-core" if len(os.sched_getaffinity(0)) >= 2 else "same-core",
                            "--quiet")
        by_size = {r["payload_bytes"]: r for r in doc["runs"]}
        self.assertEqual(sorted(by_size), [64, 4096, 65536])
        skipped = by_size[65536]
        self.assertEqual(skipped["status"], "skipped")
        self.assertIn("msgsize_max", skipped["error"])
        self.assertNotIn("latency", skipped)
        for size in (64, 4096):
            self.assertEqual(by_size[size]["status"], "ok", by_size[size].get("error"))


class CopyIn(SchemaCase):
    """--copy-in: recorded on every large one-way ring or copy-baseline row, and on every shm stream row of a
    size the ring streams (57 B up), with the stores taken and why; the producer's count of streamed messages
    says the stores were taken."""

    def rows(self, *extra):
        doc, _ = self.sweep("--transports", "shm,shm-rawcopy-follow,pipe", "--patterns", "stream,pingpong",
                            "--sizes", "8,64,16K", "--wait", "spin", "--placement", "same-core", "--messages", "300",
                            *extra)
        rows = [r for r in doc["runs"] if r["status"] != "skipped"]  # a baseline streams only
        for r in rows:
            self.assertEqual(r["status"], "ok", r.get("error"))
        return rows

    def test_asked_for_streaming_stores_are_recorded_where_they_apply(self):
        for r in self.rows("--copy-in", "streaming"):
            where = f"{r['transport']}/{r['pattern']}/{r['payload_bytes']}"
            ring = r["transport"] == "shm"
            large = r["payload_bytes"] == 16384
            applies = r["pattern"] == "stream" and r["transport"] != "pipe" and (large or (ring and r["payload_bytes"] == 64))
            self.assertEqual("copy_in" in r, applies, where)
            if applies:
                expected = {"stores": "streaming", "requested": "streaming", "why": "--copy-in streaming"}
                if ring:  # a large message fenced on its own; small ones 256 at a time in the default ring
                    expected["publish_batch"] = 1 if large else 256
                self.assertEqual(r["copy_in"], expected, where)
                self.assertGreater(r["cpu"]["producer"]["streamed_messages"], 0, where)
            else:
                self.assertEqual(r["cpu"]["producer"]["streamed_messages"], 0, where)

    def test_auto_keeps_cached_stores_on_one_cpu(self):
        rows = [r for r in self.rows() if "copy_in" in r]
        self.assertEqual(len(rows), 3)  # shm at 64 B and 16 KiB and the moving copy at 16 KiB, stream
        for r in rows:
            self.assertEqual(r["copy_in"]["stores"], "cached")
            self.assertEqual(r["copy_in"]["requested"], "auto")
            self.assertIn("same-core", r["copy_in"]["why"])
            self.assertNotIn("publish_batch", r["copy_in"])
            self.assertEqual(r["cpu"]["producer"]["streamed_messages"], 0)


class ReplyLine(SchemaCase):
    """--reply-line: recorded on every shm round trip of up to 1080 B each way, with the line taken and why; the
    sides' counts of messages written in place say it was taken; auto follows the two floors measured before the row
    and keeps its own line where there are none (one CPU)."""

    def rows(self, placement, *extra):
        doc, run = self.sweep("--transports", "shm,pipe", "--patterns", "pingpong,stream", "--sizes", "8,64,2K",
                              "--wait", "spin", "--placement", placement, "--messages", "300", "--verify", *extra)
        for r in doc["runs"]:
            self.assertEqual(r["status"], "ok", r.get("error"))
        # the table's notes say which rows answered in place
        shared = sum(1 for r in doc["runs"] if (r.get("reply_line") or {}).get("line") == "shared")
        self.assertEqual(run.stdout.count("in place"), shared, run.stdout)
        return doc["runs"]

    def applies(self, r):
        return r["transport"] == "shm" and r["pattern"] == "pingpong" and r["payload_bytes"] <= 1080

    def test_asked_for_in_place_is_recorded_where_it_applies(self):
        for r in self.rows("same-core", "--reply-line", "shared"):
            where = f"{r['transport']}/{r['pattern']}/{r['payload_bytes']}"
            self.assertEqual("reply_line" in r, self.applies(r), where)
            in_place = r["messages"] if self.applies(r) else 0
            for side in ("producer", "consumer"):
                self.assertEqual(r["cpu"][side]["in_place_messages"], in_place, where)
            if self.applies(r):
                self.assertEqual(r["reply_line"], {"line": "shared", "requested": "shared", "why": "--reply-line shared"})

    def test_auto_follows_the_floors(self):
        if len(os.sched_getaffinity(0)) < 2:
            self.skipTest("one CPU: no floors across two")
        rows = [r for r in self.rows("cross-core") if self.applies(r)]
        self.assertEqual(len(rows), 2)
        for r in rows:
            shared = r["floor"]["rtt_ns"]["p50"] < r["floor"]["two_line"]["rtt_ns"]["p50"]
            self.assertEqual(r["reply_line"]["line"], "shared" if shared else "own", r["reply_line"]["why"])
            self.assertEqual(r["reply_line"]["requested"], "auto")
            self.assertEqual(r["cpu"]["producer"]["in_place_messages"], r["messages"] if shared else 0)

    def test_auto_keeps_its_own_line_on_one_cpu(self):
        rows = [r for r in self.rows("same-core") if self.applies(r)]
        self.assertEqual(len(rows), 2)
        for r in rows:
            self.assertEqual(r["reply_line"]["line"], "own")
            self.assertIn("no cache-line and two-line floors", r["reply_line"]["why"])
            self.assertEqual(r["cpu"]["producer"]["in_place_messages"], 0)


class Capacity(SchemaCase):
    """--capacity as a sweep axis: every transport at 0 (rendezvous), 1 and unbounded, what was asked and what
    the kernel granted in every row."""

    def placement(self):
        return "cross-core" if len(os.sched_getaffinity(0)) >= 2 else "same-core"

    def test_capacity_sweep_every_transport(self):
        transports = ["shm", "mq", "pipe", "unix", "unixdgram", "tcp"]
        doc, r = self.sweep("--transports", ",".join(transports), "--patterns", "stream", "--capacity",
                            "0,1,unbounded", *TINY, "--verify", "--wait", "spin", "--placement", self.placement())
        with open("/proc/sys/fs/mqueue/msg_max") as f:
            msg_max = int(f.read())
        with open("/proc/sys/fs/pipe-max-size") as f:
            pipe_max = int(f.read())
        rows = {(x["transport"], x["capacity_requested"]): x for x in doc["runs"]}
        self.assertEqual(set(rows), {(t, c) for t in transports for c in (0, 1, "unbounded")})
        self.assertEqual(len(doc["runs"]), len(rows), "duplicate rows")
        for (t, cap), x in rows.items():
            where = f"{t} capacity {cap}"
            self.assertEqual(x["status"], "ok", f"{where}: {x.get('error')}")
            self.assertEqual(x["cpu"]["consumer"]["verified_messages"], 350, where)
            self.assertEqual(x["buffering"], {0: "rendezvous", 1: "bounded", "unbounded": "unbounded"}[cap], where)
            eff = x["effective"]
            self.assertIsNotNone(eff["capacity_bytes"], where)
            self.assertEqual(eff["capacity_bytes"], x["capacity_bytes"], where)
            if cap == 0:
                self.assertIn(eff["rendezvous"], ("native", "emulated: ack per message"), where)
            else:
                self.assertIsNone(eff["rendezvous"], where)
            if cap == "unbounded":
                self.assertTrue(eff["unbounded_means"], where)
            else:
                self.assertIsNone(eff["unbounded_means"], where)
            fw = x["cpu"]["producer"]["full_waits"]
            if t != "shm":  # spinning kernel transports see EAGAIN, so they can tell
                self.assertIsInstance(fw, int, where)
        self.assertEqual(rows[("mq", 1)]["capacity"], 1)
        self.assertEqual(rows[("mq", "unbounded")]["capacity"], msg_max)
        self.assertEqual(rows[("pipe", 1)]["capacity_bytes"], 4096)  # one page, the smallest pipe
        self.assertEqual(rows[("pipe", "unbounded")]["capacity_bytes"], pipe_max)
        self.assertTrue(rows[("shm", "unbounded")]["effective"]["holds_whole_run"])
        self.assertEqual(rows[("shm", 1)]["capacity"], 1)
        self.assertGreater(rows[("unix", "unbounded")]["capacity_bytes"], rows[("unix", 1)]["capacity_bytes"])
        self.assertIn("cap 0 (", r.stdout, "the table names the capacity and how a rendezvous was made")

    def test_capacity_without_sweep_keeps_null(self):
        doc, _ = self.sweep("--transports", "pipe", "--patterns", "stream", *TINY, "--placement", self.placement(),
                            "--quiet")
        for x in doc["runs"]:
            self.assertIsNone(x["capacity_requested"])
            self.assertEqual(x["buffering"], "default")
            self.assertIsNone(x["cpu"]["producer"]["full_waits"], "a blocking pipe write cannot tell")

    def test_capacity_one_transport_cannot_have_is_a_skipped_row(self):
        with open("/proc/sys/fs/mqueue/msg_max") as f:
            too_many = int(f.read()) + 1
        doc, _ = self.sweep("--transports", "mq,pipe", "--patterns", "stream", "--sizes", "64", "--capacity",
                            f"1,{too_many}", "--messages", "200", "--warmup", "20", "--placement", self.placement(),
                            "--quiet")
        rows = {(x["transport"], x["capacity_requested"]): x for x in doc["runs"]}
        self.assertEqual(rows[("mq", too_many)]["status"], "skipped")
        self.assertIn("msg_max", rows[("mq", too_many)]["error"])
        for key in (("mq", 1), ("pipe", 1), ("pipe", too_many)):
            self.assertEqual(rows[key]["status"], "ok", f"{key}: {rows[key].get('error')}")

    def test_capacity_limit_met_by_a_default_size_is_a_skipped_row(self):
        with open("/proc/sys/fs/pipe-max-size") as f:
            if int(f.read()) >= 64 * 65536:
                self.skipTest("fs.pipe-max-size allows 64 x 64K here")
        doc, _ = self.sweep("--transports", "pipe", "--patterns", "stream", "--capacity", "64", "--messages", "200",
                            "--warmup", "20", "--placement", self.placement(), "--quiet")
        by_size = {x["payload_bytes"]: x for x in doc["runs"]}
        self.assertEqual(sorted(by_size), [64, 4096, 65536])
        self.assertEqual(by_size[65536]["status"], "skipped")
        self.assertIn("pipe-max-size", by_size[65536]["error"])
        for size in (64, 4096):
            self.assertEqual(by_size[size]["status"], "ok", by_size[size].get("error"))
            self.assertEqual(by_size[size]["capacity_requested"], 64)


class Interrupt(TmpDirCase):
    def test_sigint_keeps_what_was_measured(self):
        self.check_sigint("--transports", "pipe,unix,tcp")

    def test_sigint_in_thread_mode(self):
        # The consumer thread blocks SIGINT: the measuring thread takes it and calls the consumer off.
        self.check_sigint("--threads", "--transports", "shm,pipe", "--wait", "block,spin")

    def check_sigint(self, *args):
        validator = load_schema()
        out = os.path.join(self.tmp, "interrupted.json")
        shm_before = {e for e in os.listdir("/dev/shm") if "ipcbench" in e}
        p = subprocess.Popen([BINARY, *args, "--duration", "0.3", "--out", out],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Wait for the first run row to land on disk (floors come first), then interrupt mid-sweep.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
            try:
                with open(out) as f:
                    if json.load(f)["runs"]:
                        break
            except (OSError, ValueError, KeyError):
                pass
        time.sleep(0.4)
        self.assertIsNone(p.poll(), "the sweep ended before it could be interrupted")
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("ipcbench did not stop within 20 s of SIGINT")
        self.assertEqual(p.returncode, 130, err)
        with open(out) as f:
            doc = json.load(f)
        errors = list(validator.iter_errors(doc))
        self.assertEqual(errors, [], [e.message[:200] for e in errors[:5]])
        ctx = doc["context"]
        self.assertIs(ctx.get("incomplete"), True)
        self.assertTrue(any("interrupted" in w for w in ctx["warnings"]), ctx["warnings"])
        self.assertGreaterEqual(sum(r["status"] == "ok" for r in doc["runs"]), 1)
        for r in doc["runs"]:
            if r["status"] != "ok":
                self.assertIn("interrupted", r["error"])
        self.assertFalse(os.path.exists(out + ".tmp"))
        # No consumer left behind, no shared-memory names left behind.
        deadline = time.monotonic() + 2
        while ipcbench_pids(out) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(ipcbench_pids(out), [], "ipcbench processes remain after the interrupt")
        shm_after = {e for e in os.listdir("/dev/shm") if "ipcbench" in e}
        self.assertEqual(shm_after - shm_before, set(), "/dev/shm entries remain")
        if os.path.isdir("/dev/mqueue"):
            self.assertEqual([e for e in os.listdir("/dev/mqueue") if f"ipcbench-{p.pid}-" in e], [])


def main():
    global BINARY, SCHEMA
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--binary", default=BINARY)
    ap.add_argument("--schema", default=SCHEMA)
    args, rest = ap.parse_known_args()
    BINARY, SCHEMA = os.path.abspath(args.binary), os.path.abspath(args.schema)
    if not args.binary or not os.access(BINARY, os.X_OK):
        sys.exit(f"test_cli.py: give the ipcbench binary with --binary or IPCBENCH_BINARY (got {args.binary!r})")
    if not args.schema or not os.path.isfile(SCHEMA):
        sys.exit(f"test_cli.py: give results/schema.json with --schema or IPCBENCH_SCHEMA (got {args.schema!r})")
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


class Repetitions(SchemaCase):
    """--repetitions: every configuration R times in seeded shuffled order, summary[] with CIs, compare."""

    ARGS = ["--transports", "shm,pipe", "--placement", "same-core", *TINY, "--repetitions", "3"]

    def sweep_to(self, name, *extra):
        out = os.path.join(self.tmp, name)
        r = run([*self.ARGS, *extra, "--out", out])
        self.assertEqual(r.returncode, 0, f"stderr:\n{r.stderr}")
        with open(out) as f:
            doc = json.load(f)
        self.assert_valid(doc)
        return out, doc, r

    def test_three_repetitions_summary_and_compare(self):
        a_path, a, r = self.sweep_to("a.json", "--seed", "5")
        ctx = a["context"]["repetitions"]
        self.assertEqual((ctx["count"], ctx["seed"], ctx["order"]), (3, 5, "shuffled"))
        self.assertEqual(ctx["bootstrap"]["resamples"], 2000)
        runs = a["runs"]
        configs = {}
        for i, row in enumerate(runs):
            self.assertEqual(row["id"], i)
            configs.setdefault(row["config_id"], []).append(row["repetition"])
        self.assertEqual(len(configs), 6)  # shm spin+block, pipe block; pingpong and stream
        for cid, reps in configs.items():
            self.assertEqual(sorted(reps), [0, 1, 2], f"config {cid}")
        order = [(row["config_id"], row["repetition"]) for row in runs]
        self.assertNotEqual(order, sorted(order, key=lambda x: (x[1], x[0])), "runs were not shuffled")
        self.assertEqual(len(a["summary"]), 6)
        for e in a["summary"]:
            self.assertEqual((e["repetitions"], e["ok_repetitions"]), (3, 3), e["key"])
            self.assertEqual(sorted(runs[i]["config_id"] for i in e["run_ids"]), [e["config_id"]] * 3)
            m = e["metrics"][e["headline"]]
            self.assertEqual(len(m["values"]), 3)
            # summary[] is kept up to date run by run: it must agree with runs[] at the end.
            by_rep = sorted((runs[i] for i in e["run_ids"]), key=lambda x: x["repetition"])
            want = [x["latency"]["rtt_ns"]["p50"] if e["pattern"] == "pingpong" else x["throughput"]["msgs_per_s"]
                    for x in by_rep]
            self.assertEqual(m["values"], want, e["key"])
            self.assertEqual(m["median"], sorted(want)[1], e["key"])
            self.assertLessEqual(m["ci_lo"], m["median"])
            self.assertLessEqual(m["median"], m["ci_hi"])
            self.assertGreaterEqual(m["cv"], 0)
            self.assertEqual(e["unstable"], bool(e["unstable_reasons"]))
        self.assertIn("95% CI", r.stdout)
        self.assertIn("Usual causes", r.stdout)

        # The same seed gives the same order; compare prints the overlap figure issue 4 is judged by.
        b_path, b, _ = self.sweep_to("b.json", "--seed", "5", "--quiet")
        self.assertEqual(order, [(row["config_id"], row["repetition"]) for row in b["runs"]])
        c = run(["compare", a_path, b_path])
        self.assertEqual(c.returncode, 0, c.stderr)
        self.assertRegex(c.stdout, r"p50 CIs overlap for \d+ of 3 rows \(\d+\.\d%\)")
        self.assertIn("U test", c.stdout)
        self.assertIn("too few repetitions", c.stdout)  # 3 vs 3 can never reach p < 0.05
        same = run(["compare", a_path, a_path])
        self.assertIn("p50 CIs overlap for 3 of 3 rows (100.0%)", same.stdout)
        self.assertIn("significant (U test, p < 0.05): 0 of 6 rows", same.stdout)

    def test_summary_table_names_each_capacity(self):
        # With --repetitions the table has one row per configuration; a --capacity sweep's rows differ only there.
        out = os.path.join(self.tmp, "cap.json")
        r = run(["--transports", "pipe", "--patterns", "stream", "--placement", "same-core", *TINY, "--capacity",
                 "1,4", "--repetitions", "2", "--out", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        stream_rows = [ln for ln in r.stdout.split("Stream:")[1].splitlines() if ln.startswith("pipe ")]
        self.assertEqual(len(stream_rows), 2, r.stdout)
        self.assertEqual(sorted(re.search(r"cap (\d+)", ln).group(1) for ln in stream_rows), ["1", "4"], r.stdout)

    def test_compare_keeps_columns_aligned_for_long_rows(self):
        # Row keys longer than the old fixed width (44) pushed their figures out of line with the header.
        out = os.path.join(self.tmp, "long.json")
        r = run(["--transports", "shm-rawcopy-follow", "--patterns", "stream", "--wait", "spin", "--placement",
                 "same-core", *TINY, "--capacity", "1,4", "--quiet", "--out", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        c = run(["compare", out, out])
        self.assertEqual(c.returncode, 0, c.stderr)
        lines = c.stdout.splitlines()
        header, rows = lines[0], [ln for ln in lines[1:] if ln.startswith("shm-rawcopy-follow/")]
        self.assertEqual(len(rows), 2, c.stdout)
        self.assertGreater(max(len(ln.split(" msgs_per_s")[0].rstrip()) for ln in rows), 44, "the keys are long")
        for ln in rows:
            self.assertEqual(ln.index("msgs_per_s"), header.index("metric"), c.stdout)

    def test_single_run_files_still_compare(self):
        out = os.path.join(self.tmp, "one.json")
        r = run(["--transports", "pipe", "--placement", "same-core", *TINY, "--quiet", "--out", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            doc = json.load(f)
        self.assertEqual(doc["context"]["repetitions"]["order"], "sweep")
        self.assertTrue(all(e["metrics"][e["headline"]]["ci_lo"] is None for e in doc["summary"]))
        c = run(["compare", out, out])
        self.assertEqual(c.returncode, 0, c.stderr)
        self.assertIn("no pingpong row has repetitions in both files", c.stdout)
        self.assertIn("p50 RTT within 10%: 1 of 1 pingpong rows", c.stdout)




class Topology(SchemaCase):
    """Placement classes, placement_class on every run, by_class[], and --matrix over every ordered CPU pair."""

    def sweep(self, *args, prefix=()):
        out = os.path.join(self.tmp, "r.json")
        r = run([*args, "--out", out], prefix=prefix, timeout=120)
        self.assertEqual(r.returncode, 0, f"stderr:\n{r.stderr}")
        with open(out) as f:
            doc = json.load(f)
        self.assert_valid(doc)
        return doc, r

    def test_classes_are_reported_and_recorded_per_run(self):
        doc, r = self.sweep("--transports", "pipe", "--patterns", "pingpong", *TINY)
        topo = doc["context"]["topology"]
        present = {c["class"]: c for c in topo["classes"]}
        self.assertIn("same-core", present)
        self.assertEqual(set(present) & {c["class"] for c in topo["absent"]}, set())
        cache_dir = "/sys/devices/system/cpu/cpu0/cache"
        self.assertEqual(topo["cache_info"], os.path.isdir(cache_dir))
        if not topo["cache_info"]:
            self.assertTrue(any("cache" in u for u in topo["unknown"]), topo["unknown"])
        placements = {p["placement"]: p for p in doc["context"]["placements"]}
        for run_ in doc["runs"]:
            chosen = placements[run_["placement"]]
            self.assertEqual(run_["cpus"], chosen["cpus"])
            self.assertEqual(run_["placement_class"], chosen["class"])
            where = f"cpus {run_['cpus']['producer']}:{run_['cpus']['consumer']} ({run_['placement']}"
            self.assertIn(where, r.stderr, "the progress line names the pair and its placement")
        self.assertEqual(placements["same-core"]["cpus"], present["same-core"]["representative"])
        classes = {(g["transport"], g["placement_class"]) for g in doc["by_class"]}
        self.assertEqual(classes, {(r_["transport"], r_["placement_class"]) for r_ in doc["runs"]})
        for g in doc["by_class"]:
            mine = [x["latency"]["rtt_ns"]["p50"] for x in doc["runs"] if x["placement_class"] == g["placement_class"]]
            self.assertEqual(g["runs"], len(mine))
            self.assertIn(g["p50_rtt_ns"], mine)  # one run per class here: its own p50

    def test_matrix_two_by_two_for_a_transport_and_the_floor(self):
        prefix, cpus = two_cpus_prefix()
        if not prefix:
            self.skipTest("taskset is not installed")
        doc, r = self.sweep("--matrix", "--transports", "shm,pipe", "--wait", "spin,block", "--duration", "0.02",
                            "--warmup", "50", "--floor-duration", "0.02", prefix=prefix)
        m = doc["matrix"]
        n = len(cpus)
        self.assertEqual(m["cpus"], cpus)
        self.assertEqual((m["pairs_total"], m["pairs_measured"], m["sampled"]), (n * n, n * n, False))
        every_pair = {(a, b) for a in cpus for b in cpus}
        # Every transport and wait strategy gets its own matrix.
        keys = {(t["transport"], t["wait"]) for t in m["transports"]}
        self.assertEqual(keys, {("shm", "spin"), ("shm", "block"), ("pipe", "spin"), ("pipe", "block")})
        for t in m["transports"]:
            self.assertEqual(t["missing"], [], t["missing"])
            self.assertEqual({(c["producer"], c["consumer"]) for c in t["cells"]}, every_pair, t["transport"])
            self.assertEqual(len(t["cells"]), n * n)
            for c in t["cells"]:
                run_ = doc["runs"][c["run_index"]]
                self.assertEqual((run_["cpus"]["producer"], run_["cpus"]["consumer"]), (c["producer"], c["consumer"]))
                self.assertEqual((run_["transport"], run_["wait"]), (t["transport"], t["wait"]))
                self.assertEqual(c["p50_ns"], run_["latency"]["rtt_ns"]["p50"])
                self.assertEqual(c["class"], run_["placement_class"])
                self.assertEqual(c["class"] == "same-core", c["producer"] == c["consumer"])
        self.assertEqual({(c["producer"], c["consumer"]) for c in m["floor_cells"]}, every_pair)
        self.assertEqual(len(m["floor_cells"]), n * n)
        self.assertIn("Core-pair matrix", r.stdout)
        # The diagonal (one CPU) spins only briefly before yielding: no scheduler-tick round trips.
        for run_ in doc["runs"]:
            if run_["cpus"]["producer"] == run_["cpus"]["consumer"] and run_["wait"] == "spin":
                self.assertTrue(run_["spin"]["same_cpu_fallback"])
                self.assertLess(run_["latency"]["rtt_ns"]["p50"], 2e6, run_["transport"])


    def test_matrix_budget_samples_per_class_and_stops_in_time(self):
        """A budget too small for every pair: one pair per class, and the runs past the budget are skipped rows."""
        prefix, cpus = two_cpus_prefix()
        if not prefix or len(cpus) < 2:
            self.skipTest("needs taskset and two CPUs")
        doc, r = self.sweep("--matrix", "--matrix-budget", "0.001", "--transports", "pipe", "--duration", "0.02",
                            "--warmup", "50", "--floor-duration", "0.02", "--seed", "3", prefix=prefix)
        m = doc["matrix"]
        classes = {c["class"] for c in doc["context"]["topology"]["classes"] if "pairs" in c}
        self.assertTrue(m["sampled"])
        self.assertEqual((m["pairs_total"], m["pairs_measured"]), (4, len(classes)))
        self.assertEqual({c["class"] for c in m["floor_cells"]}, classes, "one pair of each class")
        missing = m["transports"][0]["missing"]
        self.assertEqual(len(missing), len(classes))
        for x in missing:
            self.assertEqual(x["status"], "skipped")
            self.assertIn("--matrix-budget", x["reason"])
        self.assertIn("sampled per class", r.stderr)


class ReferenceResults(unittest.TestCase):
    """The result files the README quotes (results/reference/) still match the schema, and hold what is quoted."""

    def test_reference_files_validate(self):
        validator = load_schema()
        ref = os.path.join(os.path.dirname(SCHEMA), "reference")
        names = sorted(n for n in os.listdir(ref) if n.endswith(".json"))
        for quoted in ("ring-ablation.json", "ring-waits.json", "ring-regimes.json", "ring-ablation-b.json",
                       "ring-capacity.json", "ring-small.json", "ring-large.json", "rate.json", "matrix.json", "mailbox.json",
                       "rpc.json", "multikernel.json", "suite-a.json", "suite-b.json"):
            self.assertIn(quoted, names)
        with open(os.path.join(os.path.dirname(SCHEMA), "multikernel.schema.json")) as f:
            multikernel = jsonschema.Draft7Validator(json.load(f))
        for name in names:
            with open(os.path.join(ref, name)) as f:
                doc = json.load(f)
            v = multikernel if doc.get("kind") == "multikernel" else validator
            errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in v.iter_errors(doc)]
            self.assertEqual(errors, [], name)
        with open(os.path.join(ref, "ring-ablation.json")) as f:
            doc = json.load(f)
        designs = {r["ring"]["design"] for r in doc["runs"] if "ring" in r}
        self.assertEqual(designs, {"naive", "padded", "cached", "batched", "slotseq", "slotseq-2seq",
                                   "slotseq-2seq-slip", "slotseq-2seq-slip-packed",
                                   "slotseq-2seq-slip-packed-prefetch", "slotseq-slip-packed-prefetch-apart",
                                   "slotseq-slip-packed-prefetch-adjacent", "slotseq-packed", "slotseq-zerocopy"})
        self.assertTrue(any(r.get("baseline") and r["status"] == "ok" for r in doc["runs"]))


class OpenLoop(SchemaCase):
    """Pattern rate: --load fractions of a stream run measured first, rate_curves with a knee, loop on every run."""

    def test_load_sweep_measures_stream_first_and_draws_curves(self):
        out = os.path.join(self.tmp, "rate.json")
        r = run(["--transports", "pipe,shm", "--wait", "block", "--patterns", "pingpong,rate", "--one-way",
                 "--load", "0.2,0.9", "--sizes", "64", "--duration", "0.03", "--warmup", "50",
                 "--floor-duration", "0.03", "--placement", "cross-core" if len(os.sched_getaffinity(0)) > 1
                 else "same-core", "--out", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            doc = json.load(f)
        self.assert_valid(doc)
        runs = doc["runs"]
        for i, row in enumerate(runs):
            self.assertEqual(row["id"], i)
            self.assertEqual(row["loop"], "open" if row["pattern"] == "rate" else "closed")
        for t in ["pipe", "shm"]:
            stream = [x for x in runs if x["transport"] == t and x["pattern"] == "stream"]
            self.assertEqual(len(stream), 1, "one stream run measured for the --load fractions")
            self.assertEqual(stream[0]["purpose"], "stream capacity for --load")
            rates = [x for x in runs if x["transport"] == t and x["pattern"] == "rate"]
            self.assertEqual(sorted(x["offered"]["load"] for x in rates), [0.2, 0.9])
            for x in rates:
                self.assertEqual(x["status"], "ok", x.get("error"))
                self.assertEqual(x["offered"]["stream_run_id"], stream[0]["id"])
                self.assertAlmostEqual(x["offered"]["msgs_per_s"],
                                       x["offered"]["load"] * stream[0]["throughput"]["msgs_per_s"], delta=1e-6)
                self.assertEqual(x["open_loop"]["dropped"], 0)
                self.assertEqual(x["latency"]["one_way"]["from"], "intended send time")
                self.assertEqual(x["latency"]["one_way"]["clock"], doc["context"]["clock"]["source"])
            pp = [x for x in runs if x["transport"] == t and x["pattern"] == "pingpong"][0]
            self.assertEqual(pp["latency"]["one_way"]["from"], "send time")
            self.assertIn("rtt_half_ns", pp["latency"])
        curves = {c["transport"]: c for c in doc["rate_curves"]}
        self.assertEqual(set(curves), {"pipe", "shm"})
        for c in curves.values():
            self.assertEqual([p["load"] for p in c["points"]], [0.2, 0.9])
            self.assertIn("knee", c)
            self.assertIsNotNone(c["closed_loop"])
            self.assertIn("p99_over_closed_loop_rtt_p99", c["at_load_0_9"])
        self.assertIn("Open loop (rate)", r.stdout)
        self.assertIn("one_way_clock", doc["context"])

    def test_bad_rate_options_are_refused(self):
        for args, needle in [(["--patterns", "stream", "--load", "0.5"], "--load"),
                             (["--patterns", "rate", "--load", "0"], "--load"),
                             (["--patterns", "rate", "--rate", "5x"], "--rate"),
                             (["--patterns", "rate", "--rate", "-1"], "--rate"),
                             (["--patterns", "stream", "--one-way"], "--one-way")]:
            out = os.path.join(self.tmp, "never.json")
            r = run([*args, "--out", out])
            self.assertEqual(r.returncode, 2, f"{args}: {r.stderr}")
            lines = r.stderr.splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn(needle, lines[0])
            self.assertFalse(os.path.exists(out))


class RpcAndMailbox(SchemaCase):
    """rpc with its own reply sizes next to pingpong; the mailbox with P, C in {1, 2} on its four transports."""

    def test_rpc_reply_sizes_axis(self):
        doc, r = self.sweep("--transports", "shm,pipe,mq", "--patterns", "pingpong,rpc", "--reply-sizes", "16,4K",
                            "--wait", "block", "--placement", "same-core", *TINY, "--verify", "--quiet")
        rows = [(x["transport"], x["pattern"], x["request_bytes"], x["reply_bytes"]) for x in doc["runs"]]
        for t in ("shm", "pipe", "mq"):
            self.assertIn((t, "pingpong", 64, 64), rows)
            self.assertIn((t, "rpc", 64, 16), rows)
            self.assertIn((t, "rpc", 64, 4096), rows)
        for x in doc["runs"]:
            self.assertEqual(x["status"], "ok", x.get("error"))
            self.assertEqual(x["latency"]["kind"], "round_trip")
            self.assertEqual(len({s["key"] for s in doc["summary"]}), len(doc["summary"]), "configurations collide")

    def test_mailbox_four_transports(self):
        doc, r = self.sweep("--transports", "shm,mq,pipe,unixdgram,tcp", "--patterns", "mailbox", "--producers", "1,2",
                            "--consumers", "1,2", "--sizes", "64", "--messages", "401", "--floor-duration", "0.03",
                            "--verify")
        self.assertIn("Mailbox:", r.stdout)
        seen = set()
        for x in doc["runs"]:
            m = x["mailbox"]
            if x["transport"] == "tcp":
                self.assertEqual(x["status"], "skipped")
                self.assertIn("no mailbox form", x["error"])
                continue
            self.assertEqual(x["status"], "ok", x.get("error"))
            seen.add((x["transport"], m["producers"], m["consumers"]))
            self.assertEqual(x["placement"], "round-robin")
            self.assertEqual(x["messages"], 401)
            self.assertEqual(sum(m["sent"]), 401)
            self.assertEqual(sum(m["per_consumer"]), 401)
            self.assertEqual(len(m["per_pair"]), m["producers"])
            for p, row in enumerate(m["per_pair"]):
                self.assertEqual(len(row), m["consumers"])
                self.assertEqual(sum(row), m["sent"][p])
            self.assertEqual([sum(col) for col in zip(*m["per_pair"])], m["per_consumer"])
            self.assertEqual((len(m["producer_cpus"]), len(m["consumer_cpus"])), (m["producers"], m["consumers"]))
            shares = m["fairness"]["shares"]
            self.assertAlmostEqual(sum(shares), 1.0, places=9)
            n = len(shares)
            self.assertAlmostEqual(m["fairness"]["jain_index"], 1 / (n * sum(s * s for s in shares)), places=9)
            self.assertEqual(x["latency"]["kind"], "one_way")
            self.assertEqual(x["latency"]["one_way_ns"]["count"], 401)
            self.assertEqual(x["latency"]["clock"], doc["context"]["clock"]["source"])
            self.assertGreater(x["throughput"]["msgs_per_s"], 0)
        self.assertEqual(seen, {(t, p, c) for t in ("shm", "mq", "pipe", "unixdgram") for p in (1, 2) for c in (1, 2)})

    def test_mailbox_pipe_refuses_sizes_above_pipe_buf(self):
        doc, _ = self.sweep("--transports", "pipe", "--patterns", "mailbox", "--sizes", "64,8K", "--messages", "100",
                            "--floor-duration", "0.03", "--quiet")
        by_size = {x["payload_bytes"]: x for x in doc["runs"]}
        self.assertEqual(by_size[64]["status"], "ok", by_size[64].get("error"))
        self.assertEqual(by_size[8192]["status"], "skipped")
        self.assertIn("PIPE_BUF", by_size[8192]["error"])


if __name__ == "__main__":
    main()
