"""Benchmark: working-day arithmetic, plain stepping vs numpy.busday_offset vs the project's index.

Run as ``.venv/bin/python benchmarks/working_days.py [--pairs N] [--seed S]`` (``make bench``).

Each method turns the same list of ``(date, n)`` inputs into a list of ``datetime.date``
results, timed with ``time.perf_counter``:

a. stepping: ``WorkingCalendar.step_working_days`` per pair (the reference);
b. numpy: dates and offsets converted to arrays, ONE vectorised ``np.busday_offset`` call,
   results converted back to a list of ``date`` (both conversions are timed; the calendar
   is built beforehand, untimed, like the project's index);
c. project: ``WorkingCalendar.add_working_days`` per pair.

Our convention differs from numpy's roll rules for non-working start days. "N working days
after D" is the N-th working day strictly after D (N >= 1), and for N = 0 is D itself when D
is a working day, else the next working day. numpy computes the same thing as:

* N >= 1: ``busday_offset(D, N, roll="backward")`` -- roll back to the last working day
  <= D, then N working days on: the N-th working day strictly after D.
* N = 0: ``busday_offset(D, 0, roll="forward")`` -- the first working day >= D. In the single
  vectorised call this is written as ``busday_offset(D - 1, 1, roll="backward")``: the first
  working day strictly after the last working day <= D - 1, i.e. the first working day >= D.
  So one call with ``dates - (n == 0)``, ``offsets = max(n, 1)`` and ``roll="backward"`` covers
  both cases. The literal two-masked-call form is also run and checked to agree.

The three result lists must be identical: the script exits 1 if they are not. Targets are
reported as PASS/FAIL lines only (exit status 0): it is a report, not a test.

Stepping (tens of seconds for the default million pairs) is run once. The fast methods get
one untimed warm-up each, then ``--repeats`` interleaved timed runs, and the best is
reported: numpy's first runs in a fresh process are 15-25 % slower (first-touch allocation of
its large arrays), and that is set-up, not the steady-state cost being compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from escalate.procedures.calendar import WorkingCalendar, working_calendar
from escalate.procedures.schema import Division

Pairs = list[tuple[dt.date, int]]
DayArray = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]

DEFAULT_PAIRS = 1_000_000
DEFAULT_SEED = 20251219
DEFAULT_REPEATS = 5
FIRST_DAY = dt.date(2012, 1, 1)
LAST_DAY = dt.date(2040, 12, 31)
MAX_N = 60
# numpy's holiday list must cover every date busday_offset touches: starts rolled back into
# late 2011 and answers up to 60 working days after the last start (spring 2041).
HOLIDAYS_FROM = dt.date(2011, 1, 1)
HOLIDAYS_TO = dt.date(2042, 12, 31)
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()  # datetime64[D] counts days from here

# A typical single due date: a concern raised on a Friday before Christmas, 10 working days.
SINGLE_DAY = dt.date(2025, 12, 19)
SINGLE_N = 10

TARGET_VS_STEPPING = 20.0  # project path at least this many times faster than stepping
TARGET_VS_NUMPY = 1.5  # project time / numpy end-to-end time at most this
TARGET_SINGLE_NS = 1000.0  # one add_working_days call under this many nanoseconds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pairs", type=int, default=DEFAULT_PAIRS, help="random (D, n) pairs")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random.Random seed")
    parser.add_argument(
        "--repeats",
        type=int,
        default=DEFAULT_REPEATS,
        help="timed runs of the fast methods (numpy, project), after one untimed warm-up; "
        "the best is reported. Stepping is always run once.",
    )
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.repeats < 1:
        parser.error("--pairs and --repeats must be at least 1")
    return args


def make_pairs(count: int, seed: int) -> Pairs:
    rng = random.Random(seed)
    lo, hi = FIRST_DAY.toordinal(), LAST_DAY.toordinal()
    return [(dt.date.fromordinal(rng.randint(lo, hi)), rng.randint(0, MAX_N)) for _ in range(count)]


def timed[T](fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# -- the three methods -------------------------------------------------------------------
def by_stepping(cal: WorkingCalendar, pairs: Pairs) -> list[dt.date]:
    step = cal.step_working_days
    return [step(d, n) for d, n in pairs]


def by_project(cal: WorkingCalendar, pairs: Pairs) -> list[dt.date]:
    add = cal.add_working_days
    return [add(d, n) for d, n in pairs]


def to_arrays(pairs: Pairs) -> tuple[DayArray, IntArray]:
    """Python (date, n) pairs to datetime64[D] and int64 arrays, via day ordinals."""
    count = len(pairs)
    ordinals = np.fromiter((d.toordinal() for d, _ in pairs), dtype=np.int64, count=count)
    days = (ordinals - EPOCH_ORDINAL).view("datetime64[D]")
    offsets = np.fromiter((n for _, n in pairs), dtype=np.int64, count=count)
    return days, offsets


def numpy_kernel(days: DayArray, offsets: IntArray, bdc: np.busdaycalendar) -> DayArray:
    """Our convention in one vectorised call (see the module docstring for why it is equal)."""
    zero = offsets == 0
    starts = days - zero.astype(np.int64)
    return np.busday_offset(starts, np.maximum(offsets, 1), roll="backward", busdaycal=bdc)


def numpy_kernel_masked(days: DayArray, offsets: IntArray, bdc: np.busdaycalendar) -> DayArray:
    """The same, as two masked calls: roll forward for n == 0, backward for n >= 1."""
    out = np.empty_like(days)
    zero = offsets == 0
    rest = ~zero
    out[zero] = np.busday_offset(days[zero], 0, roll="forward", busdaycal=bdc)
    out[rest] = np.busday_offset(days[rest], offsets[rest], roll="backward", busdaycal=bdc)
    return out


def by_numpy(pairs: Pairs, bdc: np.busdaycalendar) -> list[dt.date]:
    days, offsets = to_arrays(pairs)
    result: list[dt.date] = numpy_kernel(days, offsets, bdc).tolist()
    return result


# -- checks --------------------------------------------------------------------------------
def first_difference(a: list[dt.date], b: list[dt.date], pairs: Pairs) -> str | None:
    if len(a) != len(b):
        return f"lengths differ: {len(a)} vs {len(b)}"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            d, n = pairs[i]
            return f"pair {i}: {n} working days after {d}: {x} vs {y}"
    return None


def numpy_imported_by_calendar() -> bool:
    """Import the calendar (and use it) in a fresh interpreter; report whether numpy got loaded."""
    code = (
        "import sys, datetime\n"
        "import escalate.procedures.calendar as c\n"
        "c.working_calendar().add_working_days(datetime.date(2025, 12, 19), 10)\n"
        "print('numpy' in sys.modules)\n"
    )
    done = subprocess.run(  # noqa: S603 - fixed code, our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return done.stdout.strip() != "False"


def single_call_ns(cal: WorkingCalendar) -> float:
    timer = timeit.Timer(
        "add(d, n)", globals={"add": cal.add_working_days, "d": SINGLE_DAY, "n": SINGLE_N}
    )
    number, _ = timer.autorange()
    best = min(timer.repeat(repeat=7, number=number))
    return best / number * 1e9


# -- measuring and reporting ---------------------------------------------------------------
@dataclass
class Run:
    """Timings (seconds, best of the repeats for the fast methods) and results of one run."""

    stepping: float
    numpy: float
    project: float
    kernel: float
    kernel_masked: float
    naive_conversion: float
    results: dict[str, list[dt.date]]


def measure(cal: WorkingCalendar, bdc: np.busdaycalendar, pairs: Pairs, repeats: int) -> Run:
    t_step, stepped = timed(lambda: by_stepping(cal, pairs))
    days, offsets = to_arrays(pairs)
    best = dict.fromkeys(("numpy", "project", "kernel", "masked"), float("inf"))
    runs: dict[str, Callable[[], object]] = {
        "numpy": lambda: by_numpy(pairs, bdc),
        "project": lambda: by_project(cal, pairs),
        "kernel": lambda: numpy_kernel(days, offsets, bdc),
        "masked": lambda: numpy_kernel_masked(days, offsets, bdc),
    }
    outputs: dict[str, object] = {}
    for run in runs.values():  # untimed warm-up: numpy's first large allocations are slower
        run()
    for _ in range(repeats):  # interleaved, so drifting machine noise hits every method alike
        for name, run in runs.items():
            secs, outputs[name] = timed(run)
            best[name] = min(best[name], secs)
    results = {
        "stepping": stepped,
        "numpy": cast(list[dt.date], outputs["numpy"]),
        "project": cast(list[dt.date], outputs["project"]),
        "numpy, two masked calls": cast(DayArray, outputs["masked"]).tolist(),
    }
    t_naive, _ = timed(lambda: np.array([d for d, _ in pairs], dtype="datetime64[D]"))
    return Run(
        stepping=t_step,
        numpy=best["numpy"],
        project=best["project"],
        kernel=best["kernel"],
        kernel_masked=best["masked"],
        naive_conversion=t_naive,
        results=results,
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(run: Run, count: int, single_ns: float, numpy_leaked: bool) -> None:
    def row(name: str, secs: float, vs_stepping: bool = True) -> None:
        speedup = f" {run.stepping / secs:>11.1f}x" if vs_stepping else ""
        print(f"{name:<44} {secs:>9.3f} {secs / count * 1e9:>9.0f}{speedup}")

    print(f"{'method':<44} {'total s':>9} {'ns/pair':>9} {'vs stepping':>12}")
    row("a. stepping (step_working_days, 1 run)", run.stepping)
    row("b. numpy busday_offset, end-to-end", run.numpy)
    row("c. project add_working_days", run.project)
    ratio = run.project / run.numpy
    print(f"project / numpy end-to-end: {ratio:.2f}")
    print()
    print("extras (NOT end-to-end: arrays already built, results left as datetime64):")
    row("  numpy kernel only, one call", run.kernel, vs_stepping=False)
    row("  numpy kernel only, two masked calls", run.kernel_masked, vs_stepping=False)
    row("  np.array(list of date): slow input path", run.naive_conversion, vs_stepping=False)
    print()
    print(f"single call add_working_days({SINGLE_DAY}, {SINGLE_N}): {single_ns:.0f} ns (best of 7)")
    print()
    speedup = run.stepping / run.project
    print(
        f"{verdict(speedup >= TARGET_VS_STEPPING)}  project >= {TARGET_VS_STEPPING:.0f}x faster "
        f"than stepping: {speedup:.1f}x"
    )
    print(
        f"{verdict(ratio <= TARGET_VS_NUMPY)}  project / numpy end-to-end <= {TARGET_VS_NUMPY}: "
        f"{ratio:.2f}"
    )
    print(
        f"{verdict(single_ns < TARGET_SINGLE_NS)}  single call < {TARGET_SINGLE_NS:.0f} ns: "
        f"{single_ns:.0f} ns"
    )
    print(
        f"{verdict(not numpy_leaked)}  numpy not imported by escalate.procedures.calendar "
        f"(numpy in sys.modules after import and use: {numpy_leaked})"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"Python {platform.python_version()} ({platform.python_implementation()})")
    print(f"numpy {np.__version__}")
    print(f"pairs {args.pairs:,}  seed {args.seed}  repeats (fast methods, best of) {args.repeats}")

    pairs = make_pairs(args.pairs, args.seed)
    # Untimed set-up: the project's index and numpy's calendar are both built once.
    cal = working_calendar(Division.ENGLAND_AND_WALES)
    holidays = cal.non_working_days(HOLIDAYS_FROM, HOLIDAYS_TO)
    bdc = np.busdaycalendar(weekmask="1111100", holidays=holidays)

    run = measure(cal, bdc, pairs, args.repeats)
    stepped = run.results["stepping"]
    failed = False
    for name in ("numpy", "project", "numpy, two masked calls"):
        why = first_difference(stepped, run.results[name], pairs)
        if why is not None:
            print(f"RESULTS DIFFER: stepping vs {name}: {why}", file=sys.stderr)
            failed = True
    if failed:
        return 1
    print(f"results: identical across all methods ({len(stepped):,} dates)")
    print()
    report(run, args.pairs, single_call_ns(cal), numpy_imported_by_calendar())
    return 0


if __name__ == "__main__":
    sys.exit(main())
