"""``reformsim bench``: time and memory of the engine (see docs/performance.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .bench import run_benchmark, run_seconds
from .io import write_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure speed and memory: default county over 1 and 5 years, engine vs reference, scaling, profile")
    p.add_argument("--json", metavar="FILE", default=None, help="also write the figures to FILE as JSON")
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke test of the benchmark (seconds, not minutes)")
    p.set_defaults(func=cmd_bench)


def format_report(r: dict) -> str:
    """The figures as a short plain-text table."""
    d, ref = r["default_county"], r["reference"]
    lines = [f"reformsim {r['version']} bench{' --quick' if r['quick'] else ''} "
             f"({r['machine']['cpus']} cpus, load {', '.join(f'{x:.1f}' for x in r['machine']['load_average'] or [])})",
             f"county of {d['population']:,} residents: built in {d['build_cpu_seconds']:.1f} s cpu ({d['build_seconds']:.1f} s wall)"]
    for c in d["checkpoints"]:
        lines.append(f"  {c['years']} year(s) ({c['days']} days): {c['seconds']:.1f} s wall, {c['cpu_seconds']:.1f} s cpu")
    lines.append(f"  {d['cpu_ms_per_day']:.1f} ms cpu ({d['ms_per_day']:.1f} ms wall) per simulated day; peak memory +{d['peak_rss_delta_bytes'] / 2**20:.0f} MiB "
                 f"= {d['bytes_per_resident']:.0f} B/resident (model arrays {d['state_bytes_per_resident']:.0f} B/resident)")
    runs = r.get("default_county_runs", [d])
    if len(runs) > 1:
        lines.append(f"  {len(runs)} runs, each in a fresh process, build and all days: "
                     f"{', '.join(f'{run_seconds(x):.1f}' for x in runs)} s cpu (the median run is shown)")
    load = d["engine_load"]
    lines.append(f"  loading the engine (once per process, excluded above): {load['cpu_seconds']:.1f} s cpu, "
                 f"+{load['rss_bytes'] / 2**20:.0f} MiB (libraries and compiled kernels)")
    lines += [f"engine vs reference, {c['population']:,} residents x {c['days']} days: {c['engine_cpu_seconds']:.2f} s vs "
              f"{c['reference_cpu_seconds']:.1f} s cpu = {c['cpu_speedup']:.0f}x (wall {c['speedup']:.0f}x)" for c in ref]
    lines.append("scaling (cpu): " + "; ".join(f"{s['population']:,}: {s['cpu_ms_per_day']:.1f} ms/day" for s in r["scaling"]))
    if r["profile"]:
        lines.append("top functions (self time):")
        lines += [f"  {p['share']:6.1%}  {p['function']}  {p['where']}" for p in r["profile"][:10]]
    lines.append("targets: " + "; ".join(f"{k} {v['value'] if v['value'] is None else round(v['value'], 1)} "
                                          f"(target {v['target']:g}: {'-' if v['met'] is None else 'met' if v['met'] else 'not met'})"
                                          for k, v in r["targets"].items()))
    return "\n".join(lines)


def cmd_bench(args: argparse.Namespace) -> int:
    report = run_benchmark(quick=args.quick, progress=lambda msg: print(f"bench: {msg}...", file=sys.stderr, flush=True))
    report["command"] = "reformsim bench" + (" --quick" if args.quick else "") + (f" --json {args.json}" if args.json else "")
    if args.json:
        write_json(Path(args.json), report)
    print(format_report(report))
    return 0
