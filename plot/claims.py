#!/usr/bin/python3
"""Evaluate claims about IPC against ipcbench results files: supported / refuted / inconclusive.

Usage: plot/claims.py [CLAIMS.json] RESULTS.json [--with COMPANION.json ...] [MORE.json ...]
       (default claims: plot/claims.json)

Several RESULTS files are several machines or kernels: each answers every claim and the interval spans them.
--with adds a companion file of the first file's machine (a capacity sweep, an `ipcbench multikernel` file):
its runs join the first file's (ResultsFile.join in ipcresults.py), so one machine answers from all its files.

A claim compares one metric of two selections of rows, A and B, under the same conditions (`where`):

  {"id": "...", "text": "shm/spin p50 RTT at 64 B cross-core is at least 5x lower than pipe/block",
   "metric": "p50_rtt_ns", "a": {"transport": "shm", "wait": "spin"}, "b": {"transport": "pipe", "wait": "block"},
   "where": {"pattern": "pingpong", "payload_bytes": 64, "placement": "cross-core"},
   "relation": ">=", "factor": 5,
   "vary": {"b.transport": ["mq", "pipe"], "placement": ["same-core", "cross-core"]},
   "missing_data": "what would have to be in the JSON (used when no row matches)"}

The measured ratio is A's advantage over B: B/A for a metric where lower is better (latency, CPU), A/B where
higher is better (msgs/s, bytes/s). So 5 means "A is 5x better". `relation` ">=" claims advantage >= factor,
"<=" claims advantage <= factor.

The interval around the ratio, and the verdict:
  - several files: the ratio is computed per file and the interval is the min..max over the files; the point
    value is their median;
  - one file with repetitions (--repetitions R >= 2) whose summary[] holds a bootstrap 95% CI of the median for
    the metric on both sides: the interval runs from the least to the most favourable ends of the two CIs
    (B.ci_lo/A.ci_hi .. B.ci_hi/A.ci_lo for lower-is-better metrics). So a claim is inconclusive when the two
    CIs, scaled by the factor, overlap;
  - one file with several rows of one configuration but no usable summary (older files, or metrics such as
    CPU time that summary[] does not carry): min..max over all pairs of repetitions;
  - one file, latency metric: the interval comes from the two rows' own histograms: B's and A's p25..p75 for p50
    (p75..p95 for p90, p95..p99.9 for p99). It says whether a typical message of A beats a typical message of B,
    not how precise the median is, and it does not cover run-to-run variation: give several files for that;
  - one file, any other metric (msgs/s, bytes/s, CPU): the JSON has no spread, the interval is the point value,
    marked "single run".
  supported: the whole interval satisfies the relation; refuted: none of it does; inconclusive: it straddles the
  factor, or the rows are missing (then the output says which data is missing).

A claim with "source": "multikernel" compares points of an `ipcbench multikernel` file (the main file or its
companion) instead of rows: `a`, `b` and `where` select on the points' method (shm-store, shm-atomic, msg), k
(processes; "largest" = the largest k every file with multikernel points has) and n (cache lines per update); the metric is updates_per_s
(all processes together) or per_op_ns (one update; for msg the client's round trip):

  {"id": "multikernel", "source": "multikernel", "metric": "updates_per_s",
   "a": {"method": "msg"}, "b": {"method": "shm-atomic"}, "where": {"k": "largest", "n": 8},
   "relation": ">=", "factor": 1, "vary": {"b.method": ["shm-store", "shm-atomic"], "n": [1, 2, 4, 8]}}

msg at k = 1 (the server alone, `degenerate`) is never compared. Each point carries {median, min, max} over its
trials (per_op_ns: over every process of every trial); with two or more trials the interval runs from the least
to the most favourable ends of the two min..max ranges (with 5 trials or fewer that range is also the bootstrap
95% CI of the median: no resample's median can fall outside it); with one trial it is the point value.

A claim with "b": null is about A alone: the metric's own value (the median over A's rows) against the factor,
e.g. the ring at the hardware floor (plot/ring_targets.json):

  {"id": "ring-at-the-floor", "metric": "p50_vs_floor", "a": {"transport": "shm", "wait": "spin"}, "b": null,
   "where": {"pattern": "pingpong", "payload_bytes": 8, "placement": "cross-core"}, "relation": "<=", "factor": 1.1}

Its interval: several files, the min..max of the per-file medians; one file with n >= 6 repetitions, the
distribution-free 95% confidence interval of the median (order statistics: the k-th smallest to the k-th largest
value, k from the binomial distribution, so it assumes nothing about the distribution, which on a VM is often
bimodal); 2 to 5 repetitions, their min..max (it holds the median with probability 1 - 2^(1-n), 94 % at n = 5,
and says so); one row, the point value.

On a VM the core-to-core latency can jump between regimes within minutes (66, 130 and 210-250 ns here), and every
row's speed with it. A claim with "same_regime": true compares like with like: it keeps only the rows whose own
cache-line floor (runs[].floor, measured just before each row) lies in the regime that holds most of them (within
+-20 % of one floor; the most rows of the side with the fewest there), says how many it left out, and takes the
interval from the distribution-free CIs of the medians of what is left (order statistics, as above; the least to
the most favourable ends of the two for a ratio). Not the median of all floors: a sweep with half its rows in one
regime and half in another has that median between the two.
Rows without a floor (files from before it existed) are all kept, and the output says the regime was not checked.

A claim with "paired": true compares rows run one after the other: runs[] is in the order the sweep ran its
shuffled repetitions, so each A row is paired with a B row next to it (no row in two pairs), and the verdict comes
from the median of the pairwise ratios and its distribution-free 95% CI (order statistics, as above). On this VM
64 KiB streams run in stretches, minutes long, that the cache-line floor does not mark (every synchronised design
at 25-30 GB/s, then at 13-14): a pair shares its stretch where two medians over the sweep mix them. With
same_regime too, a pair whose two floors differ by more than 20 % is left out.

`vary` re-evaluates the claim with one or more conditions replaced (plain keys apply to both sides, "a.x"/"b.x"
to one side), over every combination present in the data; the output says where the claim holds and where it
flips.
"""
import argparse
import itertools
import json
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipcresults as ir  # noqa: E402

DEFAULT_CLAIMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "claims.json")
SPREAD = {"p50": (25, 75), "p90": (75, 95), "p99": (95, 99.9), "p999": (99, 99.99)}
SUPPORTED, REFUTED, INCONCLUSIVE = "supported", "refuted", "inconclusive"


def load_claims(path):
    with open(path) as f:
        doc = json.load(f)
    claims = doc["claims"] if isinstance(doc, dict) else doc
    for c in claims:
        for key in ("id", "text", "metric", "a", "b", "relation", "factor"):
            if key not in c:
                raise ValueError(f"{path}: claim {c.get('id', '?')!r} has no {key!r}")
        if c["metric"] not in ir.METRICS:
            raise ValueError(f"{path}: claim {c['id']!r}: unknown metric {c['metric']!r}")
        if c.get("source", "runs") not in ("runs", "multikernel"):
            raise ValueError(f"{path}: claim {c['id']!r}: source must be 'runs' or 'multikernel'")
        if (c.get("source") == "multikernel") != (c["metric"] in ir.MULTIKERNEL_METRICS):
            raise ValueError(f"{path}: claim {c['id']!r}: the metrics {', '.join(ir.MULTIKERNEL_METRICS)} "
                             "are those of \"source\": \"multikernel\", and only they")
        if c.get("same_regime") and c.get("source") == "multikernel":
            raise ValueError(f"{path}: claim {c['id']!r}: same_regime needs rows with runs[].floor, not multikernel points")
        if c["b"] is None and c.get("source") == "multikernel":
            raise ValueError(f"{path}: claim {c['id']!r}: a multikernel claim compares two points; \"b\" cannot be null")
        if c.get("paired") and (c["b"] is None or c.get("source") == "multikernel"):
            raise ValueError(f"{path}: claim {c['id']!r}: paired compares rows of A and B run one after the other; "
                             "it needs \"b\" and rows (not multikernel points)")
        if c["relation"] not in (">=", "<="):
            raise ValueError(f"{path}: claim {c['id']!r}: relation must be '>=' or '<=', not {c['relation']!r}")
    return claims


def _side_value(f, where, side, metric):
    """Median of the metric over the ok rows of one file matching where+side; (value, rows)."""
    # Rows measured with --threads answer a different question (no process boundary): only if a claim asks.
    rows = f.ok_rows(all_repetitions=True, **{"mode": "processes", **where, **side})
    values = [v for v in (ir.metric(r, metric) for r in rows) if v is not None]
    if not values:
        return None, rows
    return statistics.median(values), rows


def _advantage(metric, a, b):
    lower_is_better = ir.METRICS[metric][2]
    if a == 0 and b == 0:
        return 1.0  # neither has any (e.g. no full waits on either side): no advantage
    if lower_is_better:
        return b / a if a > 0 else float("inf")
    return a / b if b > 0 else float("inf")


def _spread(rows, metric):
    """(lo, hi) of one row's own distribution around a latency percentile, from its histogram; None if absent."""
    if len(rows) != 1 or not metric.endswith("_rtt_ns"):
        return None
    q = metric[: -len("_rtt_ns")]
    hist = (rows[0].get("latency") or {}).get("histogram")
    if q not in SPREAD or not hist:
        return None
    lo, hi = (ir.histogram_percentile(hist, p) for p in SPREAD[q])
    if lo is None or hi is None:
        return None
    return lo, hi


def _summary_interval(f, where, a, b, metric):
    """(lo, hi, kind) of A's advantage from the bootstrap CIs in summary[], when each side is exactly one
    configuration with an interval for this metric; else None."""
    sides = []
    for side in (a, b):
        entries = f.summaries(**{"mode": "processes", **where, **side})
        if len(entries) != 1:
            return None
        ci = ir.summary_ci(entries[0], metric)
        if ci is None:
            return None
        sides.append((ci, entries[0].get("ok_repetitions")))
    ((_, a_lo, a_hi), na), ((_, b_lo, b_hi), nb) = sides
    ends = [_advantage(metric, a_hi, b_lo), _advantage(metric, a_lo, b_hi),
            _advantage(metric, a_lo, b_lo), _advantage(metric, a_hi, b_hi)]
    return min(ends), max(ends), f"bootstrap 95% CIs of the medians over {na} and {nb} repetitions"


def _no_data():
    return {"verdict": INCONCLUSIVE, "ratio": None, "interval": None, "interval_kind": "no data",
            "a_value": None, "b_value": None, "n": 0}


def _verdict(relation, factor, lo, hi):
    if relation == ">=":
        return SUPPORTED if lo >= factor else REFUTED if hi < factor else INCONCLUSIVE
    return SUPPORTED if hi <= factor else REFUTED if lo > factor else INCONCLUSIVE


def _point_stat(f, where, side, metric):
    """The {median, min, max, samples} of the metric at the one multikernel point matching where+side."""
    points = f.multikernel_points(**{**where, **side})
    stats = [p[metric] for p in points if (p.get(metric) or {}).get("median") is not None]
    return stats[0] if len(stats) == 1 else None


def evaluate_points(files, metric, a, b, where, relation, factor):
    """evaluate_one for a multikernel claim: compares two points of each file's multikernel file."""
    per_file = []
    for f in files:
        sa, sb = _point_stat(f, where, a, metric), _point_stat(f, where, b, metric)
        if sa and sb:
            per_file.append((sa, sb))
    if not per_file:
        return _no_data()
    ratios = [_advantage(metric, sa["median"], sb["median"]) for sa, sb in per_file]
    point = statistics.median(ratios)
    sa, sb = per_file[0]
    if len(per_file) >= 2:
        lo, hi = min(ratios), max(ratios)
        kind = f"min..max over {len(per_file)} files"
    elif min(sa.get("samples") or 1, sb.get("samples") or 1) >= 2:
        ends = [_advantage(metric, x, y) for x in (sa["min"], sa["max"]) for y in (sb["min"], sb["max"])]
        lo, hi = min(ends), max(ends)
        kind = (f"from each side's min..max over {sa['samples']} and {sb['samples']} samples "
                f"({'trials' if metric == 'updates_per_s' else 'processes x trials'})")
    else:
        lo = hi = point
        kind = "single trial (point value only)"
    return {"verdict": _verdict(relation, factor, lo, hi), "ratio": point, "interval": (lo, hi),
            "interval_kind": kind, "a_value": statistics.median(x[0]["median"] for x in per_file),
            "b_value": statistics.median(x[1]["median"] for x in per_file), "n": len(per_file)}


def evaluate_one(files, metric, a, b, where, relation, factor, source="runs", same_regime=False, paired=False):
    """Verdict for one set of conditions. Returns a dict with verdict, ratio, interval and how it was made."""
    if source == "multikernel":
        return evaluate_points(files, metric, a, b, where, relation, factor)
    if paired and b is not None:
        return evaluate_paired(files, metric, a, b, where, relation, factor, same_regime)
    if same_regime or b is None:
        return evaluate_from_rows(files, metric, a, b, where, relation, factor, same_regime)
    per_file = []
    for f in files:
        va, rows_a = _side_value(f, where, a, metric)
        vb, rows_b = _side_value(f, where, b, metric)
        if va is None or vb is None:
            continue
        per_file.append((f, va, vb, rows_a, rows_b))
    if not per_file:
        return _no_data()
    ratios = [_advantage(metric, va, vb) for _, va, vb, _, _ in per_file]
    point = statistics.median(ratios)
    a_value = statistics.median(x[1] for x in per_file)
    b_value = statistics.median(x[2] for x in per_file)
    reps = max(max(len(x[3]), len(x[4])) for x in per_file)
    if len(per_file) >= 2:
        lo, hi = min(ratios), max(ratios)
        kind = f"min..max over {len(per_file)} files"
    elif reps >= 2 and _summary_interval(per_file[0][0], where, a, b, metric):
        lo, hi, kind = _summary_interval(per_file[0][0], where, a, b, metric)
    elif reps >= 2:
        _, _, _, rows_a, rows_b = per_file[0]
        ra = [ir.metric(r, metric) for r in rows_a]
        rb = [ir.metric(r, metric) for r in rows_b]
        cands = [_advantage(metric, x, y) for x in ra for y in rb if x is not None and y is not None]
        lo, hi = min(cands), max(cands)
        kind = f"min..max over {len(ra)}x{len(rb)} repetitions in one file"
    else:
        _, va, vb, rows_a, rows_b = per_file[0]
        sa, sb = _spread(rows_a, metric), _spread(rows_b, metric)
        if sa and sb:
            ends = [_advantage(metric, sa[1], sb[0]), _advantage(metric, sa[0], sb[1])]
            lo, hi = min(ends), max(ends)
            q = metric[: -len("_rtt_ns")]
            p_lo, p_hi = SPREAD[q]
            kind = f"single run; from both rows' own p{p_lo:g}..p{p_hi:g} (spread within the run)"
        else:
            lo = hi = point
            kind = "single run; no spread in the JSON for this metric (point value only)"
    return {"verdict": _verdict(relation, factor, lo, hi), "ratio": point, "interval": (lo, hi),
            "interval_kind": kind, "a_value": a_value, "b_value": b_value, "n": len(per_file)}


def median_ci(values):
    """(lo, hi, kind): the distribution-free 95% CI of the median of `values` from order statistics (the k-th
    smallest to the k-th largest, the largest k with P(Binomial(n, 1/2) < k) <= 2.5 %); min..max, saying how
    sure it is, when n is too small for 95 % (n <= 5)."""
    x = sorted(values)
    n = len(x)
    k, below = 0, 0.0
    while k < n:
        below += math.comb(n, k) / 2 ** n  # P(fewer than k + 1 values below the median)
        if below > 0.025:
            break
        k += 1
    if k == 0:
        sure = 1 - 2 ** (1 - n)
        return x[0], x[-1], (f"min..max over {n} repetitions (holds the median with probability {sure:.0%}; "
                             "6 or more give a 95% interval)" if n > 1 else "single run (point value only)")
    return x[k - 1], x[n - k], f"distribution-free 95% CI of the median over {n} repetitions (order statistics)"


REGIME_BAND = 0.2  # same_regime: rows whose floor is within this fraction of the regime's floor


def _floor_p50(row):
    return ((row.get("floor") or {}).get("rtt_ns") or {}).get("p50")


def _in_band(floor, reference):
    """Is this cache-line floor in the same coherence regime as `reference` (within REGIME_BAND of it)?"""
    return abs(floor / reference - 1) <= REGIME_BAND


def in_regime(sides):
    """same_regime: (the sides' rows in the common coherence regime, how many were left out, that regime's floor;
    or every row, 0 and None when no row has a floor). The regime is the band of +-REGIME_BAND around one row's floor
    that holds the most rows of the side with the fewest there (then the most rows, then the lowest floor), and its
    floor the median of the floors in that band. Not the median of all floors: a sweep that spent half its rows in
    one regime and half in another has its median between the two, in neither."""
    floors = [f for side in sides for f in (_floor_p50(r) for r in side) if f]
    if not floors:
        return sides, 0, None

    def band(ref):
        return [[r for r in side if _floor_p50(r) and _in_band(_floor_p50(r), ref)] for side in sides]

    def rank(ref):
        counts = [len(side) for side in band(ref)]
        return (min(counts), sum(counts), -ref)
    best = max(sorted(set(floors)), key=rank)
    mid = statistics.median(_floor_p50(r) for side in band(best) for r in side)
    kept = band(mid)
    if rank(mid)[:2] < rank(best)[:2]:  # re-centring lost rows: keep the band as found
        mid, kept = best, band(best)
    return kept, sum(map(len, sides)) - sum(map(len, kept)), mid


def evaluate_from_rows(files, metric, a, b, where, relation, factor, same_regime):
    """evaluate_one for a claim about A alone ("b": null) or with "same_regime": medians of the rows themselves,
    with order-statistic CIs; with same_regime, only the rows measured in the common coherence regime."""
    per_file, left_out, floors = [], 0, []
    for f in files:
        sides = [f.ok_rows(all_repetitions=True, **{"mode": "processes", **where, **s}) for s in (a, b) if s is not None]
        mid, dropped = None, 0
        if same_regime:
            sides, dropped, mid = in_regime(sides)
        values = [[v for v in (ir.metric(r, metric) for r in side) if v is not None] for side in sides]
        if all(values):
            per_file.append(values)
            left_out += dropped
            floors.append(mid)
    if not per_file:
        return _no_data()
    if b is None:
        points = [statistics.median(v[0]) for v in per_file]
    else:
        points = [_advantage(metric, statistics.median(va), statistics.median(vb)) for va, vb in per_file]
    point = statistics.median(points)
    if len(per_file) >= 2:
        lo, hi = min(points), max(points)
        kind = f"min..max {'of the medians of' if b is None else 'over'} {len(per_file)} files"
    elif b is None:
        lo, hi, kind = median_ci(per_file[0][0])
    else:
        (alo, ahi, _), (blo, bhi, _) = (median_ci(v) for v in per_file[0])
        ends = [_advantage(metric, x, y) for x in (alo, ahi) for y in (blo, bhi)]
        lo, hi = min(ends), max(ends)
        na, nb = (len(v) for v in per_file[0])
        kind = (f"distribution-free 95% CIs of both medians over {na} and {nb} repetitions (order statistics)"
                if min(na, nb) >= 6 else f"from both sides' min..max over {na} and {nb} repetitions (below 6, not 95%)")
    side_median = lambda i: statistics.median(statistics.median(v[i]) for v in per_file)  # noqa: E731
    out = {"verdict": _verdict(relation, factor, lo, hi), "ratio": point, "interval": (lo, hi), "interval_kind": kind,
           "a_value": side_median(0), "b_value": side_median(1) if b is not None else None, "n": len(per_file)}
    if same_regime:
        if any(m is None for m in floors):
            out["interval_kind"] += "; regime not checked (rows without runs[].floor)"
        else:
            shown = ", ".join(f"{m:.0f}" for m in floors)
            out["interval_kind"] += (f"; rows within +-{REGIME_BAND:.0%} of the cache-line floor of the regime holding "
                                     f"most of them ({shown} ns), "
                                     f"{left_out} measured in another regime left out")
        out["left_out"] = left_out
    return out


def run_pairs(f, a_rows, b_rows):
    """paired: each A row with the B row run right before or after it (runs[] is in the order the sweep ran its
    shuffled repetitions), no row in two pairs: walk A's and B's rows in run order and pair neighbours of
    different sides. Rows left without a neighbour are not compared."""
    order = {id(r): i for i, r in enumerate(f.runs)}
    seq = sorted([(order[id(r)], 0, r) for r in a_rows] + [(order[id(r)], 1, r) for r in b_rows], key=lambda x: x[0])
    pairs, i = [], 0
    while i + 1 < len(seq):
        if seq[i][1] != seq[i + 1][1]:
            first, second = seq[i][2], seq[i + 1][2]
            pairs.append((first, second) if seq[i][1] == 0 else (second, first))
            i += 2
        else:
            i += 1
    return pairs


def evaluate_paired(files, metric, a, b, where, relation, factor, same_regime):
    """evaluate_one with "paired": the ratio of each pair of rows run one after the other (run_pairs), its median
    and the distribution-free CI of that median. On a VM whose speed changes in stretches that the cache-line
    floor does not mark (64 KiB streams here), a pair shares its stretch where two medians over the whole sweep
    mix them. With same_regime, a pair whose two floors differ by more than REGIME_BAND is left out too."""
    per_file, unpaired, left_out = [], 0, 0
    for f in files:
        rows = [f.ok_rows(all_repetitions=True, **{"mode": "processes", **where, **s}) for s in (a, b)]
        rows = [[r for r in side if ir.metric(r, metric) is not None] for side in rows]
        pairs = run_pairs(f, *rows)
        unpaired += len(rows[0]) + len(rows[1]) - 2 * len(pairs)
        if same_regime:
            floors = [(_floor_p50(x), _floor_p50(y)) for x, y in pairs]
            kept = [p for p, (fx, fy) in zip(pairs, floors) if not (fx and fy) or _in_band(fx, fy)]
            left_out += len(pairs) - len(kept)
            pairs = kept
        if pairs:
            per_file.append(pairs)
    if not per_file:
        return _no_data()
    ratios = [[_advantage(metric, ir.metric(x, metric), ir.metric(y, metric)) for x, y in pairs] for pairs in per_file]
    points = [statistics.median(r) for r in ratios]
    if len(per_file) >= 2:
        lo, hi = min(points), max(points)
        kind = f"min..max of the median pairwise ratios of {len(per_file)} files"
    else:
        lo, hi, kind = median_ci(ratios[0])
        kind = kind.replace("repetitions", "pairs of rows run one after the other")
    side_median = lambda i: statistics.median(ir.metric(p[i], metric) for pairs in per_file for p in pairs)  # noqa: E731
    kind += f"; {unpaired} rows without a neighbour of the other side left out"
    if same_regime:
        kind += f", {left_out} pairs whose two cache-line floors differ by more than {REGIME_BAND:.0%}"
    return {"verdict": _verdict(relation, factor, lo, hi), "ratio": statistics.median(points), "interval": (lo, hi),
            "interval_kind": kind, "a_value": side_median(0), "b_value": side_median(1),
            "n": len(per_file), "pairs": sum(map(len, per_file))}


def _split_vary(claim):
    """vary keys -> list of (dimension name, values)."""
    return [(k, v) for k, v in (claim.get("vary") or {}).items() if v]


def _apply(claim, assignment):
    a, where = dict(claim["a"]), dict(claim.get("where") or {})
    b = dict(claim["b"]) if claim["b"] is not None else None
    for key, value in assignment.items():
        if key.startswith("a."):
            a[key[2:]] = value
        elif key.startswith("b.") and b is not None:
            b[key[2:]] = value
        else:
            where[key] = value
    return a, b, where


def describe(a, b, where):
    def side(s):
        name = "/".join(str(s[k]) for k in ("transport", "wait", "method") if k in s)
        extra = ", ".join(f"{k}={v}" for k, v in s.items() if k not in ("transport", "wait", "method"))
        return f"{name} ({extra})" if name and extra else name or extra

    cond = ", ".join(ir.fmt_size(v) if k == "payload_bytes" else f"{k}={v}" if k in ("k", "n") else f"{v}"
                     for k, v in where.items())
    return side(a) + (f" vs {side(b)}" if b is not None else "") + (f"; {cond}" if cond else "")


def _resolve_largest(claim, files):
    """A multikernel claim's k "largest" -> the largest k (without msg's degenerate k = 1) that every file with
    multikernel points has; left as is when none has any."""
    if claim.get("source") != "multikernel":
        return claim
    sides = [claim.get("where") or {}, claim["a"], claim["b"]]
    if not any(s.get("k") == "largest" for s in sides):
        return claim
    ks = [k for k in (max((p["k"] for p in f.multikernel_points()), default=None) for f in files) if k]
    if not ks:
        return claim
    fix = lambda s: {**s, "k": min(ks)} if s.get("k") == "largest" else s  # noqa: E731
    return {**claim, "where": fix(claim.get("where") or {}), "a": fix(claim["a"]), "b": fix(claim["b"])}


def evaluate(claim, files):
    """Headline verdict plus every variant of a claim; a dict the console and the report print."""
    shown = claim
    claim = _resolve_largest(claim, files)
    metric, relation, factor = claim["metric"], claim["relation"], float(claim["factor"])
    source = claim.get("source", "runs")
    a, b, where = _apply(claim, {})
    regime, paired = bool(claim.get("same_regime")), bool(claim.get("paired"))
    head = evaluate_one(files, metric, a, b, where, relation, factor, source, regime, paired)
    result = {"claim": shown, "conditions": describe(a, b, where), **head}
    if head["n"] == 0:
        result["missing"] = claim.get("missing_data") or (
            f"no ok {'points' if source == 'multikernel' else 'rows'} for both sides ({describe(a, b, where)}) "
            "in the given files")
    variants = []
    dims = _split_vary(claim)
    if dims:
        for combo in itertools.product(*[values for _, values in dims]):
            assignment = dict(zip([d for d, _ in dims], combo))
            va, vb, vw = _apply(claim, assignment)
            if va == vb:
                continue
            r = evaluate_one(files, metric, va, vb, vw, relation, factor, source, regime, paired)
            if r["n"]:
                variants.append({"assignment": assignment, "conditions": describe(va, vb, vw), **r})
    result["variants"] = variants
    result["where_it_flips"] = flips(claim, dims, variants)
    return result


def headline_value(claim, dim):
    a, b, where = _apply(claim, {})
    if dim.startswith("a."):
        return a.get(dim[2:])
    if dim.startswith("b."):
        return b.get(dim[2:]) if b is not None else None
    return where.get(dim)


def flips(claim, dims, variants):
    """Where the claim flips, one dimension at a time: every other varied condition stays at the headline value.
    One line per dimension whose values do not all give the headline verdict."""
    lines = []
    for dim, values in dims:
        others = {d: headline_value(claim, d) for d, _ in dims if d != dim}
        row = [v for v in variants if all(v["assignment"].get(d) == x for d, x in others.items())]
        if len({v["verdict"] for v in row}) <= 1:
            continue
        shown = "; ".join(
            f"{ir.fmt_size(v['assignment'][dim]) if dim.endswith('payload_bytes') else v['assignment'][dim]}: "
            f"{v['verdict']} ({fmt_result(claim, v['ratio'])})" for v in row)
        lines.append(f"{dim}: {shown}")
    failing = [v for v in variants if v["verdict"] != SUPPORTED]
    if not lines and failing and len(failing) < len(variants):
        shown = "; ".join(f"{v['conditions']}: {v['verdict']} ({fmt_result(claim, v['ratio'])})" for v in failing[:4])
        more = f" and {len(failing) - 4} more" if len(failing) > 4 else ""
        lines.append(f"no single change flips it; combinations that do: {shown}{more}")
    return lines


def fmt_result(claim, x):
    """A claim's ratio, or for a claim about A alone ("b": null) the metric's value in its own unit."""
    return ir.fmt_metric(claim["metric"], x) if claim["b"] is None else fmt_ratio(x)


def fmt_ratio(x):
    if x is None:
        return "-"
    if x == float("inf"):
        return "inf"
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def summary_line(res):
    c = res["claim"]
    metric = c["metric"]
    if res["ratio"] is None:
        return f"no data: {res['missing']}"
    lo, hi = res["interval"]
    interval = fmt_ratio(lo) if lo == hi else f"{fmt_ratio(lo)}..{fmt_ratio(hi)}"
    if c["b"] is None:  # the metric's own value: in its own unit
        show = lambda v: ir.fmt_metric(metric, v)  # noqa: E731
        interval = show(lo) if lo == hi else f"{show(lo)}..{show(hi)}"
        return (f"A {show(res['a_value'])} (interval {interval}, {res['interval_kind']}); "
                f"claimed {c['relation']} {show(float(c['factor']))}")
    return (f"A {ir.fmt_metric(metric, res['a_value'])}, B {ir.fmt_metric(metric, res['b_value'])}: "
            f"A's advantage {fmt_ratio(res['ratio'])} (interval {interval}, {res['interval_kind']}); "
            f"claimed {c['relation']} {fmt_ratio(float(c['factor']))}")


def print_results(results, out=sys.stdout):
    for res in results:
        c = res["claim"]
        print(f"[{res['verdict']}] {c['id']}: {c['text']}", file=out)
        print(f"    {ir.METRICS[c['metric']][0]}; {res['conditions']}", file=out)
        print(f"    {summary_line(res)}", file=out)
        if res["variants"]:
            held = sum(v["verdict"] == SUPPORTED for v in res["variants"])
            print(f"    holds in {held} of {len(res['variants'])} combinations of the varied conditions present "
                  "in the data", file=out)
            if res["where_it_flips"]:
                single = not res["where_it_flips"][0].startswith("no single")
                print("    where it flips" + (" (one condition changed at a time):" if single else ":"), file=out)
            for line in res["where_it_flips"]:
                print(f"      {line}", file=out)
        if c.get("note"):
            print(f"    note: {c['note']}", file=out)


def load_files(paths, companions=()):
    """ResultsFiles for the given paths, the companions joined to the first (ValueError if from another machine)."""
    files = [ir.ResultsFile(p) for p in paths]
    for c in companions:
        files[0].join(ir.ResultsFile(c))
    return files


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="[CLAIMS.json] RESULTS.json [MORE.json ...]")
    ap.add_argument("--with", dest="companions", action="append", default=[], metavar="COMPANION.json",
                    help="a companion file of the first file's machine (repeatable): its runs join the first file's")
    ap.add_argument("--json", help="also write the verdicts to this JSON file")
    args = ap.parse_intermixed_args(argv)
    paths = list(args.files)
    claims_path = DEFAULT_CLAIMS
    with open(paths[0]) as f:
        first = json.load(f)
    if "claims" in first or isinstance(first, list):
        claims_path = paths.pop(0)
    if not paths:
        ap.error("no results file given")
    try:
        files = load_files(paths, args.companions)
    except ValueError as e:
        ap.error(str(e))
    results = [evaluate(c, files) for c in load_claims(claims_path)]
    print(f"claims: {claims_path}; results: {', '.join(f.path for f in files)}"
          + "".join(f" --with {c.path}" for c in files[0].companions))
    print_results(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([to_json(r) for r in results], f, indent=1)
    return 0


def _finite(x):
    """JSON has no infinity: a ratio against a zero value is written as null."""
    if isinstance(x, float) and math.isinf(x):
        return None
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    return x


def to_json(res):
    out = {k: v for k, v in res.items() if k not in ("claim", "variants")}
    out["id"] = res["claim"]["id"]
    out["text"] = res["claim"]["text"]
    out["variants"] = res["variants"]
    return _finite(out)


if __name__ == "__main__":
    sys.exit(main())
