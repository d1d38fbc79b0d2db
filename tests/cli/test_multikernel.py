#!/usr/bin/env python3
"""End-to-end tests of `ipcbench multikernel`: the sweep k = 1..2, n = 1,2,4,8 for every method, its JSON against
results/multikernel.schema.json, every update found in the lines, bad input refused with exit status 2.

Usage: test_multikernel.py --binary PATH --schema PATH [unittest args]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import jsonschema

BINARY = os.environ.get("IPCBENCH_BINARY", "")
SCHEMA = os.environ.get("IPCBENCH_MK_SCHEMA", "")


def run(args, timeout=120):
    return subprocess.run([BINARY, "multikernel", *args], capture_output=True, text=True, timeout=timeout)


def two_cpus():
    return sorted(os.sched_getaffinity(0))[:2]


class TmpDirCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ipcbench-mk-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class Sweep(TmpDirCase):
    def sweep(self, *extra):
        out = os.path.join(self.tmp, "mk.json")
        cpus = ",".join(map(str, two_cpus()))
        r = run(["--cpus", cpus, "--quiet", "--out", out, *extra])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            doc = json.load(f)
        with open(SCHEMA) as f:
            schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(schema)
        jsonschema.Draft7Validator(schema).validate(doc)
        return doc

    def check_lines(self, point):
        """Recompute from the processes' own counts what every line must hold."""
        for t in point["trials"]:
            where = f"{point['method']} k={point['k']} n={point['n']} rep {t['repetition']}"
            self.assertEqual(t["status"], "ok", where)
            lines = t["check"]["lines_final"]
            self.assertEqual(len(lines), point["n"], where)
            procs = t["processes"]
            if point["method"] == "msg" and point["k"] > 1:
                server, clients = procs[0], procs[1:]
                self.assertEqual(server["role"], "server", where)
                sent = sum(c["ops_total"] for c in clients)
                self.assertEqual(server["requests_served"], sent, where)
                self.assertEqual(lines, [sent] * point["n"], where)
                # Less one clock read, a short trial's few timed requests may come out at 0 (below resolution).
                self.assertGreaterEqual(t["server_per_update_ns"], 0, where)
                self.assertGreater(server["per_update_raw_ns"], server["clock_read_ns"] * 0.5, where)
                self.assertAlmostEqual(server["per_update_ns"],
                                       max(0.0, server["per_update_raw_ns"] - server["clock_read_ns"]), delta=1e-6)
            elif point["method"] in ("msg", "shm-atomic"):
                total = sum(p["ops_total"] for p in procs)
                self.assertEqual(lines, [total] * point["n"], where)
            else:  # racing stores: each line holds (process id + 1) << 48 | an op number that process reached
                for v in lines:
                    pid, op = (v >> 48) - 1, v & ((1 << 48) - 1)
                    self.assertTrue(0 <= pid < point["k"] and 1 <= op <= procs[pid]["ops_total"], f"{where}: {v}")

    def test_sweep_k_1_to_2_every_n_every_method(self):
        if len(two_cpus()) < 2:
            self.skipTest("needs two CPUs")
        doc = self.sweep("--lines", "1,2,4,8", "--ops-per-point", "2000", "--repetitions", "1")
        self.assertEqual(doc["kind"], "multikernel")
        self.assertEqual(doc["parameters"]["max_k"], 2)
        floor = doc["context"]["floors"]["cacheline_pingpong"]
        self.assertEqual(len(floor), 1)
        self.assertEqual(floor[0]["status"], "ok")
        self.assertEqual([floor[0]["cpus"]["producer"], floor[0]["cpus"]["consumer"]], two_cpus())
        self.assertIn("available", doc["context"]["cycles"])
        if not doc["context"]["cycles"]["available"]:
            self.assertTrue(doc["context"]["cycles"]["reason"])
        got = {(p["method"], p["k"], p["n"]) for p in doc["points"]}
        want = {(m, k, n) for m in ("shm-store", "shm-atomic", "msg") for k in (1, 2) for n in (1, 2, 4, 8)}
        self.assertEqual(got, want)
        self.assertEqual(len(doc["points"]), len(want))
        for p in doc["points"]:
            self.assertEqual(p["status"], "ok", p.get("errors"))
            self.assertEqual(len(p["trials"]), 1)
            self.assertEqual(p["cpus"], two_cpus()[:p["k"]])
            self.assertGreater(p["per_op_ns"]["median"], 0)
            self.assertGreater(p["updates_per_s"]["median"], 0)
            self.assertEqual(p["degenerate"], p["method"] == "msg" and p["k"] == 1)
            if p["method"] == "msg":
                self.assertIsNotNone(p["server_per_update_ns"])
                self.assertEqual(p["server_cpu"], two_cpus()[0])
            else:
                self.assertIsNone(p["server_per_update_ns"])
            for t in p["trials"]:
                measuring = [x for x in t["processes"] if x["role"] != "server"]
                self.assertTrue(all(x["ops_measured"] == 2000 for x in measuring), t)
            self.check_lines(p)

    def test_duration_mode_repetitions(self):
        doc = self.sweep("--variant", "msg,atomic", "--lines", "2", "--duration", "0.1", "--warmup", "0.01",
                         "--repetitions", "2")
        self.assertEqual(doc["parameters"]["mode"], "duration")
        self.assertEqual({p["method"] for p in doc["points"]}, {"msg", "shm-atomic"})
        for p in doc["points"]:
            self.assertEqual([t["repetition"] for t in p["trials"]], [0, 1])
            self.check_lines(p)


class Interrupt(TmpDirCase):
    def test_sigint_keeps_what_was_measured(self):
        out = os.path.join(self.tmp, "mk.json")
        p = subprocess.Popen([BINARY, "multikernel", "--duration", "0.2", "--repetitions", "3", "--quiet",
                              "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline:  # until at least one trial is in the file
            time.sleep(0.1)
            try:
                with open(out) as f:
                    if any(pt["trials"] for pt in json.load(f)["points"]):
                        break
            except (OSError, ValueError):
                pass
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 130, err)
        with open(out) as f:
            doc = json.load(f)
        with open(SCHEMA) as f:
            jsonschema.Draft7Validator(json.load(f)).validate(doc)
        self.assertTrue(doc["context"]["incomplete"])
        self.assertIn("interrupted", doc["context"]["warnings"][-1])
        self.assertTrue(any(pt["status"] == "pending" for pt in doc["points"]), "the sweep was not cut short")
        self.assertFalse(os.path.exists(out + ".tmp"))


class BadInput(TmpDirCase):
    def refused(self, args, *needles):
        out = os.path.join(self.tmp, "r.json")
        r = run([*args, "--out", out])
        self.assertEqual(r.returncode, 2, f"{args}: {r.stderr!r}")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, f"{args}: {r.stderr!r}")
        self.assertTrue(lines[0].startswith("ipcbench multikernel: error: "), lines[0])
        for n in needles:
            self.assertIn(n, lines[0])
        self.assertEqual(r.stdout, "")
        self.assertEqual(os.listdir(self.tmp), [], f"{args}: left files behind")

    def test_lines_zero(self):
        self.refused(["--lines", "1,0"], "--lines", "'0'")

    def test_lines_too_many(self):
        self.refused(["--lines", "65"], "--lines", "'65'")

    def test_lines_junk(self):
        self.refused(["--lines", "two"], "--lines")

    def test_unknown_variant(self):
        self.refused(["--variant", "store,telepathy"], "--variant", "telepathy")

    def test_cpu_that_does_not_exist(self):
        self.refused(["--cpus", "0,4095"], "--cpus", "4095")

    def test_cpu_garbage(self):
        self.refused(["--cpus", "zero"], "--cpus", "zero")

    def test_ops_and_duration(self):
        self.refused(["--ops-per-point", "100", "--duration", "1"], "--ops-per-point", "--duration")

    def test_zero_ops(self):
        self.refused(["--ops-per-point", "0"], "--ops-per-point")

    def test_bad_duration(self):
        self.refused(["--duration", "-1"], "--duration")

    def test_zero_repetitions(self):
        self.refused(["--repetitions", "0"], "--repetitions")

    def test_unknown_flag(self):
        self.refused(["--bogus"], "--bogus")

    def test_out_in_missing_directory(self):
        self.refused(["--out", os.path.join(self.tmp, "no", "such", "dir", "x.json")], "--out")


def main():
    global BINARY, SCHEMA
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=BINARY)
    ap.add_argument("--schema", default=SCHEMA)
    args, rest = ap.parse_known_args()
    BINARY, SCHEMA = os.path.abspath(args.binary), os.path.abspath(args.schema)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
