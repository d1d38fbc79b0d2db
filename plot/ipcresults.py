"""Reading ipcbench results files (results/README.md): rows, metrics, percentiles from histograms, labels.

Everything in plot/ goes through this module, so charts, the report and the claim verdicts read the JSON the same
way. Standard library only; keys this module does not know are ignored, as results/README.md asks.
"""
import json
import math
import os

METRICS = {
    # name: (what it is, unit, True if lower is better)
    "p50_rtt_ns": ("p50 round-trip time", "ns", True),
    "p90_rtt_ns": ("p90 round-trip time", "ns", True),
    "p99_rtt_ns": ("p99 round-trip time", "ns", True),
    "p999_rtt_ns": ("p99.9 round-trip time", "ns", True),
    "msgs_per_s": ("messages per second", "msg/s", False),
    "bytes_per_s": ("payload bytes per second", "B/s", False),
    "cpu_ns_per_msg": ("CPU time per message, producer + consumer, user + system", "ns", True),
    "syscalls_per_msg": ("system calls per message", "calls", True),
    "full_waits_per_msg": ("sends that found the buffer full, per message (producer)", "waits", True),
    "p50_vs_floor": ("p50 round-trip time in units of the cache-line floor measured just before the row", "x", True),
    "p50_vs_two_line_floor": ("p50 round-trip time in units of the two-line floor (one writer per line) measured just "
                              "before the row", "x", True),
}
# Metrics of an `ipcbench multikernel` file's points[] (results/multikernel.schema.json), not of runs[].
MULTIKERNEL_METRICS = {
    "updates_per_s": ("updates per second, all processes together (multikernel)", "upd/s", False),
    "per_op_ns": ("cost of one update of all n lines (multikernel; msg: the client's round trip)", "ns", True),
}
METRICS.update(MULTIKERNEL_METRICS)


class ResultsFile:
    """One results file: its context, its rows, and a label naming the machine and the date.

    join() adds companion files of the same machine (other sweeps of one `./setup.sh run`): their runs and
    summary[] join this file's, an `ipcbench multikernel` companion becomes .multikernel, and rate_curves or a
    matrix the main file lacks are taken from them. Rows of a companion that asked for a --capacity count only
    where a capacity is asked for (claims naming capacity_requested, the capacity chart): the default suite
    already has every other chart's rows at each transport's default buffer.
    """

    def __init__(self, path):
        self.path = path
        with open(path) as f:
            self.data = json.load(f)
        if self.data.get("schema_version") != 1:
            raise ValueError(f"{path}: schema_version {self.data.get('schema_version')!r}, this script reads 1")
        self.context = self.data.get("context", {})
        self.runs = self.data.get("runs", [])
        # One entry per configuration across repetitions (median, bootstrap CI, CV); absent in older files.
        self.summary = self.data.get("summary") or []
        self.companions = []
        # The `ipcbench multikernel` file of this machine: this one, or a companion (join).
        self.multikernel = self if self.data.get("kind") == "multikernel" else None
        self._swept = set()  # id() of companion rows and summary entries that asked for a --capacity

    def join(self, other):
        """Adds a companion file of the same machine (host and kernel must match); returns self."""
        if (other.hostname, other.kernel) != (self.hostname, self.kernel):
            raise ValueError(f"{other.path} ({other.hostname}, {other.kernel}) is not from the machine of "
                             f"{self.path} ({self.hostname}, {self.kernel}): compare it side by side instead")
        self.companions.append(other)
        if other.data.get("kind") == "multikernel":
            if self.multikernel is not None:
                raise ValueError(f"{other.path}: {self.path} already has a multikernel file "
                                 f"({self.multikernel.path}); give one")
            self.multikernel = other
            return self
        self._swept |= {id(x) for x in other.runs + other.summary if x.get("capacity_requested") is not None}
        self.runs = self.runs + other.runs
        self.summary = self.summary + other.summary
        for key in ("rate_curves", "matrix"):
            if not self.data.get(key) and other.data.get(key):
                self.data[key] = other.data[key]
        self.__dict__.pop("_rep_ids", None)
        self.__dict__.pop("_summary_by_key", None)
        return self

    @property
    def host(self):
        return self.context.get("host", {})

    @property
    def hostname(self):
        return self.host.get("hostname") or "unknown host"

    @property
    def date(self):
        return self.context.get("date_utc") or "unknown date"

    @property
    def label(self):
        """Short name for a legend or a panel title: host and date."""
        return f"{self.hostname} {self.date}"

    @property
    def kernel(self):
        k = self.host.get("kernel") or {}
        return f"{k.get('sysname', 'Linux')} {k.get('release', '?')}"

    def footer(self):
        """Machine (host + CPU model), kernel, date and tool: printed under every chart."""
        cpu = self.host.get("cpu_model") or "unknown CPU"
        tool = self.context.get("tool", {})
        vm = ", virtual machine" if self.host.get("virtualized") else ""
        with_ = "".join(f" + {os.path.basename(c.path)}" for c in self.companions)
        return (f"{self.hostname} ({cpu}, {len(self.host.get('cpus_online') or [])} CPUs{vm}), {self.kernel}, "
                f"{self.date}, ipcbench {tool.get('version', '?')} {tool.get('git_commit', '?')}, "
                f"{os.path.basename(self.path)}{with_}")

    def ok_rows(self, all_repetitions=False, all_capacities=False, **where):
        """The ok rows matching `where`. With repetitions (several rows of one configuration) only the median
        repetition of each configuration, so charts and tables draw one point per configuration with a real
        histogram behind it; all_repetitions=True gives every row (claims use it to see the spread).
        A companion's capacity-sweep rows only when `where` names capacity_requested or all_capacities."""
        shown = all_capacities or "capacity_requested" in where
        rows = [r for r in self.runs if r.get("status") == "ok" and matches(r, where)
                and (shown or id(r) not in self._swept)]
        return rows if all_repetitions else [r for r in rows if id(r) in self._representative]

    @property
    def _representative(self):
        if not hasattr(self, "_rep_ids"):
            groups = {}
            for r in self.runs:
                if r.get("status") == "ok":
                    groups.setdefault(config_key(r), []).append(r)
            # The lower median of the headline metric (p50 for pingpong, msgs/s for stream).
            self._rep_ids = {id(sorted(g, key=headline)[(len(g) - 1) // 2]) for g in groups.values()}
        return self._rep_ids

    def summaries(self, **where):
        """summary[] entries (one per configuration) matching `where` with at least one ok repetition (a
        companion's capacity sweep only when `where` names capacity_requested, as ok_rows)."""
        shown = "capacity_requested" in where
        return [e for e in self.summary if e.get("ok_repetitions") and matches(e, where)
                and (shown or id(e) not in self._swept)]

    def summary_of(self, row):
        """The summary[] entry of a row's configuration (same config_key), or None (one repetition, older files)."""
        if not hasattr(self, "_summary_by_key"):
            self._summary_by_key = {config_key(e): e for e in self.summary if e.get("ok_repetitions")}
        return self._summary_by_key.get(config_key(row))

    def multikernel_points(self, **where):
        """The ok, non-degenerate points of this machine's multikernel file matching `where` (method, k, n);
        [] without one. msg at k = 1 (the server alone, no message) compares nothing, so it is left out."""
        mk = self.multikernel
        if mk is None:
            return []
        return [p for p in mk.data.get("points", []) if p.get("status") == "ok" and not p.get("degenerate")
                and matches(p, where)]


def matches(row, where):
    """True if every key of `where` equals the row's field (`payload_bytes` compares as a number)."""
    for key, want in where.items():
        if want is None:
            continue
        got = row_mode(row) if key == "mode" else row.get(key)
        if isinstance(want, (list, tuple)):
            if got not in want:
                return False
        elif got != want:
            return False
    return True


def config_key(row):
    """What identifies a configuration across repetitions (harness/repeat.cpp config_key has the same fields)."""
    cpus = row.get("cpus") or {}
    offered = row.get("offered") or {}  # pattern rate: each offered load is a configuration of its own
    box = row.get("mailbox") or {}
    return (row.get("transport"), row.get("wait"), row.get("pattern"), row.get("payload_bytes"),
            cpus.get("producer"), cpus.get("consumer"), row_mode(row), row.get("capacity_requested"),
            offered.get("load"), offered.get("msgs_per_s") if offered.get("load") is None else None,
            row.get("reply_bytes") if row.get("pattern") == "rpc" else None, box.get("producers"), box.get("consumers"))


def headline(row):
    """The metric a row is judged by: p50 round trip for pingpong, msgs/s for stream (0 when absent)."""
    name = "p50_rtt_ns" if row.get("pattern") in ("pingpong", "rpc") else "msgs_per_s"
    return metric(row, name) or 0


def row_mode(row):
    """`processes` (forked consumer) or `threads` (--threads); files from before the key existed mean processes."""
    return row.get("mode") or "processes"


def series_name(row):
    name = f"{row.get('transport')}/{row.get('wait')}"
    return name if row_mode(row) == "processes" else f"{name} ({row_mode(row)})"


def cpu_ns_per_msg(row):
    cpu = row.get("cpu") or {}
    total = 0.0
    for side in ("producer", "consumer"):
        s = cpu.get(side)
        if not s:
            return None
        total += (s.get("user_ns_per_msg") or 0.0) + (s.get("sys_ns_per_msg") or 0.0)
    return total


def metric(row, name):
    """The value of a metric in one ok row, or None if the row does not have it."""
    if row.get("status") != "ok":
        return None
    if name.endswith("_rtt_ns"):
        rtt = (row.get("latency") or {}).get("rtt_ns") or {}
        return rtt.get(name[: -len("_rtt_ns")])
    if name in ("msgs_per_s", "bytes_per_s"):
        return (row.get("throughput") or {}).get(name)
    if name == "cpu_ns_per_msg":
        return cpu_ns_per_msg(row)
    if name == "syscalls_per_msg":  # both sides, per message (per round trip for pingpong), counted by the transports
        return (row.get("syscalls") or {}).get("per_msg", row.get("syscalls_per_msg"))
    if name == "full_waits_per_msg":
        # null where the transport cannot tell (a blocking call that slept in the kernel): no value, not 0
        waits = ((row.get("cpu") or {}).get("producer") or {}).get("full_waits")
        return waits / row["messages"] if waits is not None and row.get("messages") else None
    if name in ("p50_vs_floor", "p50_vs_two_line_floor"):
        # runs[].floor: pingpong and rpc rows since the floor existed; runs[].floor.two_line: round trips across
        # two CPUs since 2026-12-05; null without one
        floor = row.get("floor") or {}
        if name == "p50_vs_two_line_floor":
            floor = floor.get("two_line") or {}
        p50 = ((row.get("latency") or {}).get("rtt_ns") or {}).get("p50")
        floor_p50 = (floor.get("rtt_ns") or {}).get("p50")
        return p50 / floor_p50 if p50 is not None and floor_p50 else None
    raise KeyError(f"unknown metric {name!r} (known: {', '.join(METRICS)})")


def summary_ci(entry, name):
    """(median, ci_lo, ci_hi) of a metric in a summary[] entry, or None when it has no interval (one repetition,
    or a metric the summary does not carry)."""
    m = (entry.get("metrics") or {}).get(name) or {}
    if m.get("ci_lo") is None or m.get("ci_hi") is None or m.get("median") is None:
        return None
    return m["median"], m["ci_lo"], m["ci_hi"]


def memcpy_roofline(memcpy):
    """[(bytes, bytes_per_s), ...] by size from context.floors.memcpy ({"sizes": [...]}, or a bare list of
    sizes); [] when absent or unusable."""
    sizes = memcpy.get("sizes") if isinstance(memcpy, dict) else memcpy
    if not isinstance(sizes, list):
        return []
    return sorted((m["bytes"], m["bytes_per_s"]) for m in sizes
                  if isinstance(m, dict) and m.get("bytes") and m.get("bytes_per_s"))


def histogram_points(hist):
    """(lo_ns, hi_ns, count) per non-empty bucket, in increasing order."""
    if not hist:
        return []
    return list(zip(hist.get("lo_ns", []), hist.get("hi_ns", []), hist.get("count", [])))


def histogram_percentile(hist, pct):
    """Nearest-rank percentile from a log-linear histogram: the middle of the bucket holding that rank
    (within 1/64 of the true value for 32 sub-buckets per octave). None if the histogram is empty."""
    buckets = histogram_points(hist)
    total = sum(c for _, _, c in buckets)
    if total == 0:
        return None
    rank = max(1, math.ceil(pct / 100.0 * total))
    seen = 0
    for lo, hi, count in buckets:
        seen += count
        if seen >= rank:
            return (lo + hi) / 2.0
    return (buckets[-1][0] + buckets[-1][1]) / 2.0


def fmt_ns(ns):
    if ns is None:
        return "-"
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} us"
    if ns < 1e9:
        return f"{ns / 1e6:.1f} ms"
    return f"{ns / 1e9:.2f} s"


def fmt_si(value, unit=""):
    if value is None:
        return "-"
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= factor:
            return f"{value / factor:.2f} {prefix}{unit}".rstrip()
    return f"{value:.0f} {unit}".rstrip()


def fmt_size(nbytes):
    for factor, suffix in ((1 << 20, "MiB"), (1 << 10, "KiB")):
        if nbytes >= factor and nbytes % factor == 0:
            return f"{nbytes // factor} {suffix}"
    return f"{nbytes} B"


def fmt_metric(name, value):
    if value is None:
        return "-"
    if name.endswith("_ns") or name == "cpu_ns_per_msg":
        return fmt_ns(value)
    if name == "msgs_per_s":
        return fmt_si(value, "msg/s")
    if name in ("p50_vs_floor", "p50_vs_two_line_floor"):
        return f"{value:.2f}x"
    if name == "updates_per_s":
        return fmt_si(value, "upd/s")
    if name == "bytes_per_s":
        return fmt_si(value, "B/s")
    return f"{value:.3g}"
