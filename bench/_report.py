"""Report helpers shared by the benchmarks: outcome counts and latency percentiles."""

import statistics


def counts_text(counts):
    """``Counter`` of outcomes as "outcome n, outcome n", sorted by outcome."""
    return ", ".join(f"{outcome} {count}" for outcome, count in sorted(counts.items()))


def percentiles_ms(seconds):
    """p50/p95/p99/max in milliseconds of latencies in seconds (all None when there are none)."""
    if not seconds:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    if len(seconds) == 1:
        value = seconds[0] * 1000
        return {"p50": value, "p95": value, "p99": value, "max": value}
    cuts = statistics.quantiles([s * 1000 for s in seconds], n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(seconds) * 1000}


def rounded_percentiles_ms(seconds):
    """``percentiles_ms`` rounded to 0.1 ms, as the JSON summaries keep them."""
    return {k: v if v is None else round(v, 1) for k, v in percentiles_ms(seconds).items()}


def latency_text(ms):
    """ "p50 …  p95 …  p99 …  max …" in whole milliseconds (``ms`` from ``percentiles_ms``, not empty)."""
    return f"p50 {ms['p50']:.0f}  p95 {ms['p95']:.0f}  p99 {ms['p99']:.0f}  max {ms['max']:.0f}"
