"""Benchmark: the application's pages under load at 100,000 escalations, against a bare view.

Run as ``.venv/bin/python benchmarks/load.py [--database-url URL] [--duration S]
[--connections C] [--rounds R]`` (default ``postgres://postgres@127.0.0.1:5432/escalate_scale``,
10 s runs, 8 connections, 1 round). The database is the benchmark's own: it is created if it
is missing, migrated, and, if it holds no escalation, filled by ``generate_scale_data``
(``--escalations``, default 100,000: a few minutes, once; later runs reuse it). The script
refuses a database named ``escalate`` or ``postgres``.

What it does:

1. Serves the application under gunicorn, 2 workers on 127.0.0.1 each handling one request at
   a time, with its production settings (``escalate.config.settings.production``: DEBUG off,
   demo off, a fresh random secret key; requests carry ``X-Forwarded-Proto: https`` as the TLS
   proxy in front would), and a bare Django view (``benchmarks/bare``: no apps, no
   middleware) served the same way: the framework's ceiling on this machine. The workers are
   gunicorn's ``gthread`` workers with one thread and keep-alive (``--worker-class sync`` for
   sync workers): a sync worker closes the connection after every response, and autocannon
   then leaves a request that will never be answered in its queue at each reconnection, so
   that every later latency on that connection is counted from the wrong moment (p50 over a
   second for a bare view answering 1,300 requests a second at 8 connections); its counts of
   responses stay right.
2. Signs in two generated benchmark accounts, a partnership's business manager and a
   practitioner of one of its agencies, by writing real sessions in the database: the
   authentication keys and django-otp's verified-device key, as a sign-in with a second factor
   leaves them. Their cookies go with every request.
3. Checks that every page answers 200 with what it should show (a 302 to the sign-in page would
   be a false figure), and counts each page's queries and times its slowest one (the same
   request made in this process through Django's test client, against the same database).
4. For each page, one round: the bare view, then the page, each driven by ``autocannon -c C
   -d S`` (npm, a separate process) on loopback; noise hits both alike. Every response of
   every run must be a 200: the script fails loudly otherwise.
   The same is done for **the floor of an audited page** (``benchmarks/floor``: the
   production settings, no middleware, one view that reads the session and appends an audit
   entry, nothing else), as the escalation page's viewer: no audited page can serve more.
5. Prints a table: page, requests a second, p50 and p99 latency, the bare view's requests a
   second in the same round, the page's share of it, its queries, their time and the slowest;
   then each page against the targets of issue 11 (15 % of the bare view, p99 under 100 ms).

It is a report, not a test: it exits 1 only if a response was not a 200 or a server failed.
The load generator shares the machine's cores with the servers and PostgreSQL, as it does
with the bare view.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/escalate_scale"
DEFAULT_ESCALATIONS = 100_000
DEFAULT_DURATION = 10
DEFAULT_CONNECTIONS = 8
WORKERS = 2
BREAKDOWN_REQUESTS = 60
WORKER_CLASSES = ("gthread", "sync")
KEEP_ALIVE_SECONDS = 10
WARM_UP_SECONDS = 3
TARGET_SHARE = 15.0  # per cent of the bare view's requests a second
TARGET_P99_MS = 100.0
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
AUTOCANNON = ROOT / "node_modules" / ".bin" / "autocannon"
PRODUCTION = "escalate.config.settings.production"


def scale_database_arguments(parser: argparse.ArgumentParser) -> None:
    """``--database-url`` and ``--escalations``: the scale data set's database, shared by the
    benchmarks that run on it (this one, ``board.py``)."""
    parser.add_argument("--database-url", default=DEFAULT_URL, help="the benchmark's database")
    parser.add_argument(
        "--escalations",
        type=int,
        default=DEFAULT_ESCALATIONS,
        help="escalations to generate when the database holds none",
    )


def check_scale_database(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """PostgreSQL only, never the application's own database, at least one escalation."""
    url = urlparse(args.database_url)
    if url.scheme not in ("postgres", "postgresql"):
        parser.error("the benchmark runs on PostgreSQL only (postgres://...)")
    if url.path.strip("/") in ("", "escalate", "postgres"):
        parser.error("give the benchmark its own database (not escalate or postgres)")
    if args.escalations < 1:
        parser.error("--escalations must be at least 1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    scale_database_arguments(parser)
    parser.add_argument("--duration", type=int, default=DEFAULT_DURATION, help="seconds a run")
    parser.add_argument(
        "--connections", type=int, default=DEFAULT_CONNECTIONS, help="concurrent connections"
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every page")
    parser.add_argument(
        "--worker-class",
        choices=WORKER_CLASSES,
        default="gthread",
        help="gunicorn's workers: gthread with one thread and keep-alive (default), or sync "
        "(autocannon's latencies are then wrong: see above)",
    )
    args = parser.parse_args(argv)
    check_scale_database(parser, args)
    if min(args.duration, args.connections, args.rounds) < 1:
        parser.error("--duration, --connections and --rounds must be at least 1")
    if not GUNICORN.exists():
        parser.error(f"{GUNICORN} is missing: run `make setup`")
    if not AUTOCANNON.exists():
        parser.error(f"{AUTOCANNON} is missing: run `npm ci`")
    return args


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it does not exist (it is kept between runs)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.strip("/")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def server_environment(url: str, secret_key: str) -> dict[str, str]:
    """What the application's servers run with: its production settings."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=PRODUCTION,
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_DEBUG="0",
        ESCALATE_DEMO="0",
        DATABASE_URL=url,
        LOG_LEVEL="WARNING",
        # No page here fetches a static file; nothing was collected into STATIC_ROOT.
        PYTHONWARNINGS="ignore:No directory at:UserWarning",
    )
    return env


def setup_django(url: str, secret_key: str) -> None:
    """This process reads and writes the same database with the same settings (and the test
    client's host allowed)."""
    os.environ.update(server_environment(url, secret_key))
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    import django

    django.setup()


# -- the data and the sign-ins ----------------------------------------------------------------


def fill_if_empty(escalations: int) -> None:
    from django.core.management import call_command

    from escalate.cases.models import Escalation

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - start:.1f} s")
    if Escalation.objects.exists():
        return
    print(f"the database holds no escalation: generating {escalations:,}")
    call_command("generate_scale_data", escalations=escalations)


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    cookie: str  # the session cookie's "name=value"
    session_key: str
    shows: str  # text the page must contain


def sign_in(user: Any) -> str:
    """A session as a completed sign-in leaves it (password and second factor): the user, the
    backend that authenticated them, their session hash, the verified device, the time of the
    last request. Returns the session key."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.backends import ModelBackend
    from django.utils.module_loading import import_string
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from escalate.accounts.middleware import LAST_ACTIVITY_KEY

    backend = next(
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if issubclass(import_string(path), ModelBackend) and not path.startswith("axes.")
    )
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Benchmark app", confirmed=True)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store[LAST_ACTIVITY_KEY] = int(time.time())
    store.create()
    return str(store.session_key)


def practitioners_escalation(partnership_id: int) -> Any:
    """A benchmark practitioner's own open escalation with the longest record (the heaviest
    page of its kind), with its raiser's account: the generator's practitioner 1 of each
    agency has a password. None if the partnership has none."""
    from escalate.cases.models import Escalation, Status

    return (
        Escalation.objects.filter(
            partnership_id=partnership_id,
            status=Status.OPEN,
            raising_person__level="practitioner",
            raising_person__user__username__endswith=".1",
        )
        .select_related("raising_person__user")
        .order_by("-version", "pk")
        .first()
    )


def pages() -> list[Page]:
    """The pages of issue 11, as the people who use them: the business unit's home and lists
    and a search by reference; a practitioner's escalation page."""
    from django.conf import settings

    from escalate.cases.models import Escalation
    from escalate.demo.scale import SCALE_EMAIL_DOMAIN
    from escalate.directory.models import Person

    manager = (
        Person.objects.filter(is_business_unit=True, email__endswith=f"@{SCALE_EMAIL_DOMAIN}")
        .select_related("user", "agency")
        .order_by("agency__partnership_id")
        .first()
    )
    if manager is None or manager.user is None:
        raise SystemExit("no generated business manager: is this a generate_scale_data database?")
    partnership = manager.agency.partnership_id
    escalation = practitioners_escalation(partnership)
    if escalation is None or escalation.raising_person is None:
        raise SystemExit("no benchmark practitioner has raised an open escalation")
    practitioner = escalation.raising_person
    if practitioner.user is None:
        raise SystemExit("the benchmark practitioner has no account")
    everyone = Escalation.objects.filter(partnership_id=partnership).order_by("pk")
    searched = everyone[everyone.count() // 2]
    name = settings.SESSION_COOKIE_NAME
    unit_key, own_key = sign_in(manager.user), sign_in(practitioner.user)
    unit, own = f"{name}={unit_key}", f"{name}={own_key}"
    return [
        Page("home, business unit", "/", unit, unit_key, "Import the directory from CSV"),
        Page("list of all, business unit", "/escalations/", unit, unit_key, "ESC-"),
        Page("list of overdue", "/escalations/?view=overdue", unit, unit_key, "ESC-"),
        Page(
            "search by reference",
            f"/escalations/?reference={searched.reference}",
            unit,
            unit_key,
            searched.reference,
        ),
        Page(
            f"one escalation ({escalation.version} changes)",
            f"/escalations/{escalation.reference}/",
            own,
            own_key,
            escalation.reference,
        ),
    ]


@dataclass(frozen=True)
class Queries:
    count: int
    total_ms: float
    slowest_ms: float
    slowest_sql: str


def floor_page(page: Page) -> Page:
    """The floor of an audited page (``benchmarks/floor``), as the viewer of ``page`` (an
    escalation page) sees it: their session read and one audit entry for the escalation, in its
    partnership's chain; no page is drawn. No audited page can serve more than it."""
    from escalate.cases.models import Escalation

    reference = page.shows
    partnership = Escalation.objects.values_list("partnership_id", flat=True).get(
        reference=reference
    )
    return Page(
        "audited floor (session + audit)",
        f"/{partnership}/{reference}/",
        page.cookie,
        page.session_key,
        f"Viewed {reference}.",
    )


def queries(page: Page) -> Queries:
    """The page's queries, their time and its slowest one, made through Django's test client
    in this process against the same database, warm (the third request)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.cookies[settings.SESSION_COOKIE_NAME] = page.session_key
    timed: list[tuple[float, str]] = []

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append(((time.perf_counter() - start) * 1000, sql))

    for _ in range(3):
        timed.clear()
        with connection.execute_wrapper(timer):
            response = client.get(page.path, secure=True)
    if response.status_code != 200:
        raise SystemExit(f"{page.name}: {page.path} answered {response.status_code} in-process")
    slowest = max(timed, default=(0.0, ""))
    return Queries(
        count=len(timed),
        total_ms=sum(t for t, _sql in timed),
        slowest_ms=slowest[0],
        slowest_sql=" ".join(slowest[1].split())[:160],
    )


@dataclass(frozen=True)
class Breakdown:
    total_ms: float
    sql_ms: float
    template_ms: float

    @property
    def python_ms(self) -> float:
        """Middleware, the view's own work and building the queries (the ORM)."""
        return self.total_ms - self.sql_ms - self.template_ms


def breakdown(page: Page, requests: int = BREAKDOWN_REQUESTS) -> Breakdown:
    """Where one request's time goes, the page served in this process by the WSGI application
    the servers run (one thread, no network): the database (time inside the driver, commits
    included), the templates, and the rest."""
    from django.db import connection
    from django.template.backends import django as backend

    import escalate.config.wsgi as wsgi

    spent = {"sql": 0.0, "template": 0.0}

    def sql_timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["sql"] += time.perf_counter() - start

    render = backend.Template.render

    def timed_render(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return render(self, *args, **kwargs)
        finally:
            spent["template"] += time.perf_counter() - start

    path, _, query = page.path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "443",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": page.cookie,
        "HTTP_X_FORWARDED_PROTO": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "wsgi.errors": sys.stderr,
    }

    def get() -> None:
        status: list[str] = []
        request = {**environ, "wsgi.input": io.BytesIO(b"")}

        def start_response(line: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(line)
            return lambda data: None

        b"".join(wsgi.application(request, start_response))
        if not status[0].startswith("200"):
            raise SystemExit(f"{page.name}: answered {status[0]} in-process")

    for _ in range(10):
        get()
    backend.Template.render = timed_render  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(sql_timer):
            start = time.perf_counter()
            for _ in range(requests):
                get()
            total = time.perf_counter() - start
    finally:
        backend.Template.render = render  # type: ignore[method-assign]
    return Breakdown(
        total_ms=total * 1000 / requests,
        sql_ms=spent["sql"] * 1000 / requests,
        template_ms=spent["template"] * 1000 / requests,
    )


# -- serving and driving ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(
    app: str, env: dict[str, str], worker_class: str, *extra: str, workers: int = WORKERS
) -> Iterator[str]:
    """``app`` served by gunicorn with ``workers`` workers (2) on loopback, each handling one
    request at a time; yields its base URL."""
    port = free_port()
    command = [
        str(GUNICORN),
        app,
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        *extra,
    ]
    if worker_class == "gthread":
        command += ["--threads", "1", "--keep-alive", str(KEEP_ALIVE_SECONDS)]
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603 - our own command
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn for {app} exited with {process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn for {app} did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def check_page(url: str, headers: dict[str, str], shows: str) -> None:
    """One request: it must be a 200 showing ``shows`` (a redirect is an error)."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    try:
        with opener.open(request, timeout=30) as response:
            status, body = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise SystemExit(
            f"{url} answered {exc.code} {exc.headers.get('Location', '')}: not a 200"
        ) from None
    if status != 200 or shows not in body:
        raise SystemExit(f"{url} answered {status} without {shows!r}")


@dataclass(frozen=True)
class Run:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    total: int


def drive(url: str, headers: dict[str, str], seconds: int, connections: int) -> Run:
    """``autocannon -c C -d S -j``: every response must be a 200."""
    command = [str(AUTOCANNON), "-c", str(connections), "-d", str(seconds), "-j"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(  # noqa: S603 - our own command
        [*command, url], capture_output=True, text=True, check=True, cwd=ROOT
    )
    result = json.loads(done.stdout)
    codes = {code: stats["count"] for code, stats in result.get("statusCodeStats", {}).items()}
    wrong = {code: n for code, n in codes.items() if code != "200"}
    if wrong or result["non2xx"] or result["errors"] or result["timeouts"] or not codes:
        raise SystemExit(
            f"{url}: not every response was a 200 (status codes {codes}, non-2xx "
            f"{result['non2xx']}, errors {result['errors']}, timeouts {result['timeouts']})"
        )
    return Run(
        requests_per_second=float(result["requests"]["average"]),
        p50_ms=float(result["latency"]["p50"]),
        p99_ms=float(result["latency"]["p99"]),
        total=int(codes["200"]),
    )


def describe(worker_class: str) -> None:
    from django.db import connection

    from escalate.audit.models import AuditEntry
    from escalate.cases.models import Entry, Escalation

    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"PostgreSQL {cursor.fetchone()[0]}")
    gunicorn_version = subprocess.run(  # noqa: S603
        [str(GUNICORN), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    cannon = subprocess.run(  # noqa: S603
        [str(AUTOCANNON), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()
    print(
        f"{gunicorn_version}, {WORKERS} {worker_class} workers of one thread; "
        f"autocannon {cannon[1] if cannon else '?'}"
    )
    print(
        f"data: {Escalation.objects.count():,} escalations, {Entry.objects.count():,} entries, "
        f"{AuditEntry.objects.count():,} audit entries"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The production settings serve static files from STATIC_ROOT; no page here fetches any.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise")
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    ensure_database(args.database_url)
    secret_key = secrets.token_urlsafe(45)
    setup_django(args.database_url, secret_key)
    fill_if_empty(args.escalations)
    describe(args.worker_class)
    targets = pages()
    measured = {page.name: queries(page) for page in targets}
    print(f"\nwhere a request's time goes, served in this process ({BREAKDOWN_REQUESTS} requests):")
    print(f"{'page':<34} {'total':>8} {'database':>9} {'templates':>10} {'Python':>8}")
    for page in targets:
        b = breakdown(page)
        print(
            f"{page.name:<34} {b.total_ms:>6.1f}ms {b.sql_ms:>7.1f}ms {b.template_ms:>8.1f}ms "
            f"{b.python_ms:>6.1f}ms"
        )
    env = server_environment(args.database_url, secret_key)
    bare_env = dict(os.environ, DJANGO_SETTINGS_MODULE="bare.settings")
    forwarded = {"X-Forwarded-Proto": "https"}
    lowest = floor_page(targets[-1])
    with (
        gunicorn("escalate.config.wsgi:application", env, args.worker_class) as app,
        gunicorn(
            "bare.wsgi:application", bare_env, args.worker_class, "--pythonpath", "benchmarks"
        ) as bare,
        gunicorn(
            "floor.wsgi:application", env, args.worker_class, "--pythonpath", "benchmarks"
        ) as floor,
    ):
        check_page(f"{bare}/", {}, "Hello")
        check_page(f"{floor}{lowest.path}", {**forwarded, "Cookie": lowest.cookie}, lowest.shows)
        for page in targets:
            check_page(f"{app}{page.path}", {**forwarded, "Cookie": page.cookie}, page.shows)
        print(f"\nwarming up ({WARM_UP_SECONDS} s a page)")
        drive(f"{bare}/", {}, WARM_UP_SECONDS, args.connections)
        for page in targets:
            headers = {**forwarded, "Cookie": page.cookie}
            drive(f"{app}{page.path}", headers, WARM_UP_SECONDS, args.connections)
        print(
            f"\n{args.rounds} round(s) of {args.duration} s runs at {args.connections} "
            "connections, the bare view then the page, in turn\n"
        )
        header = (
            f"{'page':<34} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'bare req/s':>10} "
            f"{'ratio':>7} {'queries':>7} {'SQL ms':>7} {'slowest':>8}"
        )
        print(header)
        print("-" * len(header))
        results: dict[str, list[tuple[Run, Run]]] = {}
        rounds = [(floor, lowest, None), *((app, page, measured[page.name]) for page in targets)]
        for _ in range(args.rounds):
            for server, page, q in rounds:
                ceiling = drive(f"{bare}/", {}, args.duration, args.connections)
                headers = {**forwarded, "Cookie": page.cookie}
                # Still a 200 (and the session's idle time-out starts again).
                check_page(f"{server}{page.path}", headers, page.shows)
                run = drive(f"{server}{page.path}", headers, args.duration, args.connections)
                results.setdefault(page.name, []).append((run, ceiling))
                share = 100 * run.requests_per_second / ceiling.requests_per_second
                sql = (
                    f"{q.count:>7} {q.total_ms:>7.2f} {q.slowest_ms:>5.2f} ms"
                    if q is not None
                    else f"{'2 + audit':>7}"
                )
                print(
                    f"{page.name:<34} {run.requests_per_second:>7.1f} {run.p50_ms:>7.0f} "
                    f"{run.p99_ms:>7.0f} {ceiling.requests_per_second:>10.1f} "
                    f"{share:>6.1f}% {sql}",
                    flush=True,
                )
    print("\nqueries of each page (one warm request in this process; SQL ms is their sum):")
    for name, q in measured.items():
        print(f"  {name}: {q.count} queries, {q.total_ms:.2f} ms; slowest {q.slowest_ms:.2f} ms:")
        print(f"    {q.slowest_sql}")
    print(f"\ntargets (issue 11): at least {TARGET_SHARE:.0f} % of the bare view's requests a ")
    print(f"second in the same round, p99 under {TARGET_P99_MS:.0f} ms at 8 connections")
    for name, runs in results.items():
        worst_share = min(100 * r.requests_per_second / c.requests_per_second for r, c in runs)
        worst_p99 = max(r.p99_ms for r, _c in runs)
        ok = worst_share >= TARGET_SHARE and worst_p99 < TARGET_P99_MS
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {worst_share:.1f} %, p99 {worst_p99:.0f} ms")
    return 0


if __name__ == "__main__":
    if shutil.which("node") is None:
        sys.exit("node is needed for autocannon (npm)")
    sys.exit(main())
