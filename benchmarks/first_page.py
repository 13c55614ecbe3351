"""Benchmark: a fresh web worker's boot and its first escalation page.

Run as ``.venv/bin/python benchmarks/first_page.py [--database-url URL] [--runs N]`` (or
``make bench-first-page``). Without ``--database-url`` it builds the demo in a SQLite file
of its own (in a temporary directory, removed afterwards); with one (for example the scale data
set, ``postgres://postgres@127.0.0.1:5432/escalate_scale``) it uses that database as it is.

What it measures, ``--runs`` times (default 5), each in a new interpreter as a new gunicorn
worker would be:

- **boot**: importing ``escalate.config.wsgi`` (Django set up, the application built, and the
  warm-up: definitions, calendars, URL map, main templates);
- **first page**: the first request, an escalation's page for a practitioner of one of its
  agencies, through the WSGI application with a signed-in, second-factor-verified session;
- **second page**: the same request again, for comparison.

It prints each run and the median, and the target (first page under 300 ms) as PASS/FAIL. It
is a report, not a test: the exit status is 0 unless a page did not answer 200.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TARGET_FIRST_PAGE_MS = 300.0
SETTINGS = "escalate.config.settings.local"

# Run in a set-up interpreter: a session for a practitioner party to an open escalation.
_SESSION = textwrap.dedent(
    f"""
    import django, json, sys
    django.setup()
    sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
    from load import sign_in  # the load benchmark's signed-in, verified session
    from escalate.cases.models import Escalation, Status
    from escalate.directory.models import Person
    esc = (
        Escalation.objects.filter(status=Status.OPEN)
        .order_by("-pk").only("reference", "raising_agency_id").first()
    )
    person = (
        Person.objects.filter(agency_id=esc.raising_agency_id, is_active=True, user__isnull=False)
        .select_related("user").order_by("pk").first()
    )
    print(json.dumps({{"session": sign_in(person.user), "reference": esc.reference}}))
    """
)

# Run in a fresh interpreter per run: boot, then two requests.
_RUN = textwrap.dedent(
    """
    import time
    started = time.perf_counter()
    import io, json, sys
    import escalate.config.wsgi as wsgi
    booted = time.perf_counter()
    from django.conf import settings
    from wsgiref.util import setup_testing_defaults

    def get(path, session):
        environ = {
            "PATH_INFO": path,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session}",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(b""),
        }
        setup_testing_defaults(environ)
        status = []
        body = b"".join(wsgi.application(environ, lambda s, h, e=None: status.append(s)))
        return status[0], len(body)

    args = json.loads(sys.argv[1])
    path = f"/escalations/{args['reference']}/"
    t0 = time.perf_counter()
    first = get(path, args["session"])
    t1 = time.perf_counter()
    second = get(path, args["session"])
    t2 = time.perf_counter()
    print(json.dumps({
        "boot_ms": (booted - started) * 1000,
        "first_ms": (t1 - t0) * 1000,
        "second_ms": (t2 - t1) * 1000,
        "status": [first[0], second[0]],
        "bytes": first[1],
    }))
    """
)


def _run(code: str, env: dict[str, str], *extra: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [PYTHON, "-c", code, *extra], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603 - our own command
        [str(Path(PYTHON).parent / "escalate-manage"), *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", help="use this database as it is (default: the demo)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="escalate-first-page-") as tmp:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
            where = args.database_url.rsplit("/", 1)[-1]
        else:
            env["DATABASE_URL"] = f"sqlite:///{tmp}/demo.sqlite3"
            print("Building the demo in a SQLite file of its own ...", flush=True)
            _manage(env, "migrate", "--noinput")
            _manage(env, "load_demo")
            where = "the demo (SQLite)"
        target = json.loads(_run(_SESSION, env))
        print(f"Database: {where}; page: an escalation's, for a practitioner of its agency")
        print(f"Python {sys.version.split()[0]}; {args.runs} fresh interpreters\n")
        print(f"{'run':>4} {'boot':>9} {'first page':>11} {'second page':>12}")
        runs = []
        for number in range(1, args.runs + 1):
            result = json.loads(_run(_RUN, env, json.dumps(target)))
            if result["status"] != ["200 OK", "200 OK"]:
                sys.exit(f"the page answered {result['status']}, not 200: no figure")
            runs.append(result)
            print(
                f"{number:>4} {result['boot_ms']:>7.0f}ms {result['first_ms']:>9.0f}ms "
                f"{result['second_ms']:>10.0f}ms"
            )
    first = statistics.median(r["first_ms"] for r in runs)
    boot = statistics.median(r["boot_ms"] for r in runs)
    second = statistics.median(r["second_ms"] for r in runs)
    print(f"\nmedian: boot {boot:.0f} ms, first page {first:.0f} ms, second page {second:.0f} ms")
    verdict = "PASS" if first < TARGET_FIRST_PAGE_MS else "FAIL"
    print(f"target: first page under {TARGET_FIRST_PAGE_MS:.0f} ms after boot: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
