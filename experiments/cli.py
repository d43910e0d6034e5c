"""The ``reformsim`` command line.

Each subcommand lives in its own module exposing ``register(subparsers)``; errors a user can
cause (bad scenario, bad file, bad number) end in one line naming the problem and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from reformsim.model.county import CountyError
from reformsim.model.scenario import ScenarioError

from .io import ResultsError

# subcommand modules, in the order `reformsim --help` lists them
COMMANDS = [
    "reformsim.experiments.cmd_run",
    "reformsim.experiments.cmd_compare",
    "reformsim.experiments.cmd_viz",
    "reformsim.experiments.cmd_sweep",
    "reformsim.experiments.cmd_calibrate",
    "reformsim.experiments.cmd_validate",
    "reformsim.experiments.cmd_infer",
    "reformsim.experiments.cmd_bench",
]


class UsageError(ValueError):
    """A bad command-line value."""


USER_ERRORS: tuple[type[Exception], ...] = (ScenarioError, CountyError, ResultsError, UsageError, OSError)  # OSError: unwritable --out, disk full


def _bounded_int(text: str, lo: int, hi: int | None, rule: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
    if v < lo or (hi is not None and v >= hi):
        raise argparse.ArgumentTypeError(f"must be {rule}, got {v}")
    return v


def positive_int(text: str) -> int:
    return _bounded_int(text, 1, None, "> 0")


def seed_int(text: str) -> int:
    """A seed: an integer in [0, 2**63)."""
    return _bounded_int(text, 0, 2**63, "in [0, 2**63)")


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return v


MAX_YEARS = 200


def days_from_years(years: float, minimum: int = 1) -> int:
    """Simulated days for ``--years``, refusing horizons under ``minimum`` days or over MAX_YEARS."""
    if years > MAX_YEARS:
        raise UsageError(f"--years {years} is more than {MAX_YEARS}")
    days = int(round(years * 365))
    if days < minimum:
        raise UsageError(f"--years {years} is under {minimum} day{'s' if minimum > 1 else ''}")
    return days


def output_folder(path: str) -> Path:
    """``--out`` as a folder that may not yet exist; refuse a path that is a file."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    return out


def build_parser() -> argparse.ArgumentParser:
    from reformsim.model import VERSION

    parser = argparse.ArgumentParser(prog="reformsim", description="Simulate a Chinese county health system under reform.")
    parser.add_argument("--version", action="version", version=f"reformsim {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as exc:
        print(f"reformsim: error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reformsim: interrupted; files already written are complete", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
