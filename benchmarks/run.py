"""The commerce benchmark, in one command: ``python benchmarks/run.py`` (or ``nox -s bench``).

It checks that PostgreSQL answers at ``DATABASE_URL``, creates one bench
database per catalog size (``<prefix>_<size>``; kept for the next run, and
topped up rather than reseeded), bulk-seeds it and checks the seeded rows,
serves the demo shop with gunicorn (production settings, sync workers,
persistent connections) on 127.0.0.1 only, drives each scenario with locust
headless from the same loopback address, and writes ``results.json``,
``results.md`` (the tables) and ``chart.png`` into ``benchmarks/results/<run>/``.

``python benchmarks/run.py --smoke`` runs every scenario tiny (1,000
products, 5 s each): a check that the pipeline works, never figures to
publish. ``--help`` lists every option; ``benchmarks/README.md`` explains them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
EXAMPLE = ROOT / "example_project"
LOCUSTFILE = BENCH_DIR / "locustfile.py"
#: The peer run (``--peer oscar``): its modules and the oscar host project.
PEERS_DIR = BENCH_DIR / "peers"
#: The only address the server binds and the load generator calls.
LOOPBACK = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://commerce:commerce@127.0.0.1:5432/commerce"
READ_SCENARIOS = ["ceiling", "list", "search", "detail"]
#: The search scenario's words (names reuse the demo's vocabulary, so each finds matches).
SEARCH_WORDS = ["pro", "classic", "compact", "studio", "trail", "ultra", "modern", "sleek"]
WRITE_SCENARIOS = ["cart_add", "checkout", "webhook"]
ALL_SCENARIOS = [
    *READ_SCENARIOS,
    *WRITE_SCENARIOS,
    "contention",
    "sellout",
    "bigcart",
    "scale",
]
#: Scenarios that run only when ``--scenarios`` names them: ``pricing`` needs its own
#: database and three promotion counts.
OPT_IN_SCENARIOS = ["pricing"]

POSTGRES_HELP = """\
PostgreSQL did not answer at {url}: {error}

The benchmark needs a PostgreSQL server and a role that may create databases.
On Debian or Ubuntu, as root:

    apt-get install -y postgresql
    pg_ctlcluster 15 main start          # or: service postgresql start
    su postgres -c "psql -c \\"CREATE ROLE commerce LOGIN PASSWORD 'commerce' CREATEDB\\""

then run again, or point DATABASE_URL (or --database-url) at your server:

    DATABASE_URL=postgres://commerce:commerce@127.0.0.1:5432/commerce python benchmarks/run.py
"""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def csv_ints(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the commerce API on PostgreSQL behind gunicorn, with locust.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes and durations (1,000 products, 5 s a scenario): checks the pipeline",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        help="a role with CREATEDB; the bench databases are created beside this one",
    )
    parser.add_argument("--db-prefix", default="commerce_bench", help="bench database names")
    parser.add_argument("--reseed", action="store_true", help="drop and reseed the databases")
    parser.add_argument(
        "--products", type=int, default=100_000, help="catalog size for the endpoint table"
    )
    parser.add_argument(
        "--sizes",
        type=csv_ints,
        default=[1_000, 100_000, 1_000_000],
        help="catalog sizes for the product list's p99 (comma-separated)",
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=int, default=5, help="seconds before measuring")
    parser.add_argument("--users", type=int, default=16, help="concurrent load-generator users")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn sync workers (default 2 x cores + 1)",
    )
    parser.add_argument(
        "--catalog-cache",
        choices=["off", "on", "both"],
        default="both",
        help="commerce's catalog cache for the read scenarios",
    )
    parser.add_argument(
        "--cache-url",
        default="locmemcache://",
        help="Django cache (CACHE_URL), e.g. redis://127.0.0.1:6379/1",
    )
    parser.add_argument("--buyers", type=csv_ints, default=[1, 8, 32], help="contention levels")
    parser.add_argument("--hot-variants", type=int, default=3, help="variants the buyers share")
    parser.add_argument(
        "--hot-stock", type=int, default=100_000, help="stock of each contended variant"
    )
    parser.add_argument(
        "--bigcart-users",
        type=int,
        default=1,
        help="shoppers checking out the largest cart at once (bigcart scenario)",
    )
    parser.add_argument(
        "--promotion-counts",
        type=csv_ints,
        default=[0, 100, 1_000],
        help="active promotions for the pricing scenario, ascending; the first is the baseline",
    )
    parser.add_argument("--sellout-buyers", type=int, default=32)
    parser.add_argument("--sellout-stock", type=int, default=50)
    parser.add_argument(
        "--scenarios",
        default=",".join(ALL_SCENARIOS),
        help=f"which to run, comma-separated, from: {', '.join(ALL_SCENARIOS)}; "
        f"only when named: {', '.join(OPT_IN_SCENARIOS)}",
    )
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1")
    parser.add_argument("--out", type=Path, help="results folder (default: results/<time>)")
    parser.add_argument("--label", default="", help="a title for the report")
    parser.add_argument(
        "--generator",
        choices=["locust", "wrk"],
        default="locust",
        help="the load generator of the read scenarios (ceiling, list, search, detail); "
        "wrk uses --users connections on --threads threads; flows always use locust",
    )
    sys.path[:0] = [path for path in (str(BENCH_DIR), str(PEERS_DIR)) if path not in sys.path]
    from runner import add_arguments, smoke

    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.smoke and args.peer:
        smoke(args)
    if args.smoke:
        args.products = 1_000
        args.sizes = [1_000]
        args.duration = 5
        args.warmup = 1
        args.users = 8
        args.buyers = [1, 8]
        args.hot_stock = 10_000
        args.sellout_buyers = 8
        args.sellout_stock = 10
        args.label = args.label or "smoke run on a shared machine, not the published figures"
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(args.scenarios) - set(ALL_SCENARIOS) - set(OPT_IN_SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.promotion_counts != sorted(set(args.promotion_counts)):
        parser.error("--promotion-counts must be distinct and ascending")
    if args.products < 100:
        parser.error("--products must be at least 100")
    return args


# --- PostgreSQL -----------------------------------------------------------------------


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def connect(url: str, **kwargs):
    import psycopg

    return psycopg.connect(url, connect_timeout=5, **kwargs)


def check_postgres(url: str) -> str:
    """The server's version, or exit with instructions to start one."""
    try:
        with connect(url) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # any failure to connect ends the run the same way
        sys.exit(POSTGRES_HELP.format(url=redact(url), error=exc))


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def postgres_setting(url: str, name: str) -> str:
    """A server setting as the bench databases see it (``SHOW``), e.g. whether JIT is on."""
    from psycopg import sql

    with connect(url) as connection:
        return connection.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]


def database_exists(admin_url: str, name: str) -> bool:
    with connect(admin_url) as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def create_database(admin_url: str, name: str, *, drop: bool) -> None:
    from psycopg import sql

    with connect(admin_url, autocommit=True) as connection:
        if drop:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_size(url: str) -> int:
    with connect(url) as connection:
        return connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def stock_of(url: str, variant_ids: list[str]) -> list[tuple[int, int]]:
    with connect(url) as connection:
        return connection.execute(
            "SELECT quantity, reserved FROM commerce_catalog_stockrecord "
            "WHERE variant_id = ANY(%s::uuid[]) ORDER BY variant_id",
            [variant_ids],
        ).fetchall()


# --- the bench host -------------------------------------------------------------------


class Host:
    """Runs manage.py commands and gunicorn for one bench database."""

    #: The gunicorn application; the peer run's oscar host names its own.
    wsgi_app = "benchhost.wsgi:application"

    def __init__(self, args: argparse.Namespace, name: str, out: Path, secret: str) -> None:
        self.args = args
        self.name = name
        self.url = database_url(args.database_url, name)
        self.out = out
        self.secret = secret
        self.secret_key = secrets.token_urlsafe(50)
        self.server: subprocess.Popen | None = None
        #: The interpreter of manage.py and gunicorn (the peer run's oscar virtualenv's).
        self.python = sys.executable

    def env(self, catalog_cache: str = "off") -> dict[str, str]:
        env = dict(os.environ)
        paths = [str(BENCH_DIR), str(EXAMPLE), env.get("PYTHONPATH", "")]
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, paths)),
            DJANGO_SETTINGS_MODULE="benchhost.settings",
            DATABASE_URL=self.url,
            CONN_MAX_AGE="600",
            CONN_HEALTH_CHECKS="true",
            CACHE_URL=self.args.cache_url,
            # The shop's production mode (when it has one): a required secret key and
            # host list, HTTPS-only cookies and HSTS; the bench settings keep plain HTTP.
            DJANGO_ENV="production",
            DJANGO_SECRET_KEY=self.secret_key,
            DJANGO_ALLOWED_HOSTS=f"{LOOPBACK},localhost",
            DJANGO_DEBUG="false",
            DJANGO_LOG_LEVEL="WARNING",
            BENCH_CATALOG_CACHE=catalog_cache,
            BENCH_WEBHOOK_SECRET=self.secret,
        )
        return env

    def manage(self, *command: str, capture: bool = False) -> str:
        # Seeding a million products runs statements longer than a request may
        # (the shop's DATABASE_STATEMENT_TIMEOUT); the server keeps the timeout.
        result = subprocess.run(
            [self.python, "-m", "django", *command],
            env={**self.env(), "DATABASE_STATEMENT_TIMEOUT": "0"},
            cwd=ROOT,
            check=False,
            text=True,
            stdout=subprocess.PIPE if capture else None,
        )
        if result.returncode:
            sys.exit(f"manage.py {' '.join(command)} failed (exit {result.returncode})")
        return result.stdout or ""

    def prepare(self, products: int, *, fresh: bool = False) -> dict:
        """Create (afresh with ``fresh`` or ``--reseed``), migrate and seed the database;
        return what it took."""
        exists = database_exists(self.args.database_url, self.name)
        started = time.monotonic()
        if fresh or self.args.reseed or not exists:
            log(f"creating database {self.name}")
            create_database(self.args.database_url, self.name, drop=exists)
        self.manage("migrate", "--noinput", "-v", "0")
        log(f"seeding {self.name} to {products:,} products")
        self.manage("bench_seed", "--products", str(products))
        return {
            "seconds": round(time.monotonic() - started, 1),
            "bytes": database_size(self.url),
        }

    def start(self, catalog_cache: str) -> None:
        port_free(self.args.port)
        log(
            f"gunicorn on {LOOPBACK}:{self.args.port}: {self.args.workers} workers, "
            f"{self.name}, catalog cache {catalog_cache}"
        )
        error_log = self.out / "logs" / f"gunicorn-{self.name}-{catalog_cache}.log"
        # The application's own log (Django's warnings for every 4xx) goes there too.
        self._server_log = error_log.open("a")
        self.server = subprocess.Popen(
            [
                self.python,
                "-m",
                "gunicorn",
                self.wsgi_app,
                "--bind",
                f"{LOOPBACK}:{self.args.port}",
                "--workers",
                str(self.args.workers),
                "--worker-class",
                "sync",
                "--timeout",
                "120",
                "--error-logfile",
                str(error_log),
            ],
            env=self.env(catalog_cache),
            cwd=ROOT,
            stdout=self._server_log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                sys.exit(f"gunicorn exited (code {self.server.returncode}); see {error_log}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"gunicorn did not answer in 60 s; see {error_log}")

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.args.port}"

    def stop(self) -> None:
        if self.server is None:
            return
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self.server = None
        self._server_log.close()

    def load(
        self, scenario: str, data: Path, *, users: int | None = None, warmup: float | None = None
    ) -> dict:
        """Run one locust scenario against the server; return its recorded statistics.

        ``warmup`` overrides ``--warmup`` (the sell-out records from the first request).
        """
        users = users or self.args.users
        warmup = self.args.warmup if warmup is None else warmup
        if self.args.generator == "wrk" and scenario in READ_SCENARIOS:
            return self.load_wrk(scenario, data, warmup)
        slug = scenario.replace(":", "-")
        stats = self.out / "raw" / f"{self.name}-{slug}-{int(time.time() * 1000)}.json"
        env = self.env()
        env.update(
            BENCH_SCENARIO=scenario,
            BENCH_DATA=str(data),
            BENCH_STATS=str(stats),
            BENCH_WARMUP=str(warmup),
        )
        seconds = warmup + self.args.duration
        log(f"  {scenario}: {users} users, {seconds} s")
        with (self.out / "logs" / f"locust-{self.name}-{slug}.log").open("a") as output:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(LOCUSTFILE),
                    "--headless",
                    "--users",
                    str(users),
                    "--spawn-rate",
                    str(users),
                    "--run-time",
                    f"{seconds}s",
                    "--stop-timeout",
                    "10",
                    "--host",
                    self.base,
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                env=env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,  # locust exits 1 when any request failed; the stats say which
            )
        if not stats.exists():
            sys.exit(f"locust wrote no statistics for {scenario}; see {output.name}")
        result = json.loads(stats.read_text())
        for name, entry in sorted(result["endpoints"].items()):
            log(
                f"    {name}: {entry['rps']:.1f}/s p50 {entry['p50_ms']} ms "
                f"p99 {entry['p99_ms']} ms errors {entry['errors']}"
                + (f" {entry['outcomes']}" if entry["outcomes"] else "")
            )
        return result

    def load_wrk(self, scenario: str, data: Path, warmup: float) -> dict:
        """A read scenario with wrk (``--generator wrk``): the same requests as the locust
        scenario's, figures in the locust scenario's shape."""
        import wrk

        fixture = json.loads(data.read_text())
        paths = {
            "ceiling": ["/bench/ceiling/"],
            "list": ["/api/v1/catalog/products/"],
            "search": [
                f"/api/v1/catalog/products/?category={category}&search={word}&in_stock=true"
                for category in fixture["categories"]
                for word in SEARCH_WORDS
            ],
            "detail": [f"/api/v1/catalog/products/{slug}/" for slug in fixture["products"]],
        }[scenario]
        requests = [wrk.Request(path) for path in paths]
        options = {"connections": self.args.users, "threads": self.args.threads}
        stem = f"{self.name}-{scenario}"
        script, output = self.out / "raw" / f"{stem}.lua", self.out / "logs" / f"wrk-{stem}.log"
        log(f"  {scenario}: wrk, {self.args.users} connections, {warmup + self.args.duration} s")
        if warmup:
            wrk.run(self.base, requests, script, output, seconds=warmup, **options)
        figures = wrk.run(
            self.base, requests, script, output, seconds=self.args.duration, **options
        )
        log(
            f"    {scenario}: {figures['rps']:.1f}/s p50 {figures['p50_ms']} ms "
            f"p99 {figures['p99_ms']} ms errors {figures['errors']}"
        )
        entry = {**figures, "statuses": {}, "error_kinds": {}, "outcomes": {}}
        return {"scenario": scenario, "seconds": figures["seconds"], "endpoints": {scenario: entry}}


def port_free(port: int) -> None:
    with socket.socket() as probe:
        if probe.connect_ex((LOOPBACK, port)) == 0:
            sys.exit(f"Something already listens on {LOOPBACK}:{port}; choose another --port.")


def catalog_cache_modes(args: argparse.Namespace, host: Host) -> tuple[list[str], str]:
    """The catalog cache modes this version of commerce supports, and a note when it has none."""
    wanted = {"off": ["off"], "on": ["on"], "both": ["off", "on"]}[args.catalog_cache]
    probe = (
        "from benchhost.settings import catalog_cache_settings; "
        "print(bool(catalog_cache_settings(True)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=host.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    if result.stdout.strip() == "True":
        return wanted, ""
    return ["off"], (
        "This version of commerce has no catalog cache setting, so the catalog was measured "
        "uncached only."
    )


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package, key in [
        ("Django", "django"),
        ("django-commerce-kit", "commerce"),
        ("gunicorn", "gunicorn"),
        ("locust", "locust"),
    ]:
        try:
            found[key] = version(package)
        except PackageNotFoundError:
            found[key] = "?"
    return found


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0.0
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = round(pages * size / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory}


def git_revision() -> str:
    if not shutil.which("git"):
        return "?"
    result = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "?"


# --- the run --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.peer:
        from runner import main as run_peer

        return run_peer(args)
    if args.generator == "wrk":
        from wrk import ensure_wrk

        ensure_wrk()
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or BENCH_DIR / "results" / stamp
    (out / "logs").mkdir(parents=True, exist_ok=True)
    (out / "raw").mkdir(exist_ok=True)
    secret = secrets.token_hex(32)

    postgres = check_postgres(args.database_url)
    log(f"PostgreSQL {postgres} at {redact(args.database_url)}; results in {out}")
    wanted = set(args.scenarios)
    results: dict = {
        "meta": {
            "label": args.label or f"{args.products:,} products",
            "note": "Smoke run on a shared machine, not the published figures."
            if args.smoke
            else "",
            "started": stamp,
            **machine(),
            "python": f"Python {platform.python_version()}",
            "postgres": postgres,
            "jit": postgres_setting(args.database_url, "jit"),
            "git": git_revision(),
            "workers": args.workers,
            "users": args.users,
            "duration": args.duration,
            "warmup": args.warmup,
            "products": args.products,
            "conn_max_age": 600,
            "cache_url": args.cache_url,
            "generator": args.generator,
            "wrk_scenarios": [s for s in READ_SCENARIOS if args.generator == "wrk"],
            "wrk_threads": args.threads,
            **versions(),
        },
        "databases": {},
        "endpoints": {},
        "checks": {},
    }

    main_host = Host(args, f"{args.db_prefix}_{args.products}", out, secret)
    endpoint_scenarios = [s for s in [*READ_SCENARIOS, *WRITE_SCENARIOS] if s in wanted]
    needs_main = endpoint_scenarios or {"contention", "sellout", "bigcart"} & wanted
    sizes = sorted(set(args.sizes)) if "scale" in wanted else []
    hosts = {size: Host(args, f"{args.db_prefix}_{size}", out, secret) for size in sizes}
    if needs_main:
        hosts[args.products] = main_host
    for size, host in sorted(hosts.items()):
        results["databases"][host.name] = {"products": size, **host.prepare(size)}

    try:
        if needs_main:
            run_endpoints(args, main_host, out, wanted, results)
        for size in sizes:
            host = hosts[size]
            host.start("off")
            try:
                data = out / f"fixture-{host.name}.json"
                host.manage("bench_fixture", str(data), "--hot", "")
                results.setdefault("scale", {})[str(size)] = host.load("list", data)
            finally:
                host.stop()
    finally:
        for host in hosts.values():
            host.stop()

    if "pricing" in wanted:
        run_pricing(args, out, secret, results)

    if needs_main:
        log("consistency checks after the load")
        found = json.loads(main_host.manage("bench_check", capture=True).strip().splitlines()[-1])
        results["checks"][main_host.name] = found

    from report import write_report

    return finish(out, results, started, write_report)


def finish(out: Path, results: dict, started: float, write_report) -> int:
    """Write ``results.json`` with the run's duration, then the report from it; print it."""
    results["meta"]["elapsed_s"] = round(time.monotonic() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    report = write_report(out / "results.json")
    print(report.read_text())
    log(f"done in {results['meta']['elapsed_s']:.0f} s: {report} and {out / 'chart.png'}")
    return 0


def run_endpoints(args, host: Host, out: Path, wanted: set[str], results: dict) -> None:
    modes, note = catalog_cache_modes(args, host)
    results["meta"]["catalog_cache_note"] = note
    hot_specs = [f"c{buyers}:{args.hot_variants}:{args.hot_stock}" for buyers in args.buyers]
    hot_specs.append(f"sellout:1:{args.sellout_stock}")
    data = out / f"fixture-{host.name}.json"
    host.manage("bench_fixture", str(data), "--hot", ",".join(hot_specs))
    fixture = json.loads(data.read_text())

    for index, mode in enumerate(modes):
        last = index == len(modes) - 1
        host.start(mode)
        try:
            scenarios = results["endpoints"].setdefault(mode, {})
            for scenario in READ_SCENARIOS:
                if scenario in wanted or (scenario == "ceiling" and wanted - {"scale"}):
                    scenarios[scenario] = host.load(scenario, data)
            if not last:
                continue
            # Writes run once, against the last mode's server (the cached one when there is
            # one, as in production), with the ceiling measured by that same server.
            for scenario in ("cart_add", "checkout"):
                if scenario in wanted:
                    scenarios[scenario] = host.load(scenario, data)
            if "webhook" in wanted:
                payments = out / f"payments-{host.name}.json"
                host.manage("bench_fixture", str(payments), "--payments")
                merged = out / f"fixture-{host.name}-webhook.json"
                merged.write_text(json.dumps({**fixture, **json.loads(payments.read_text())}))
                scenarios["webhook"] = host.load("webhook", merged)
            if "contention" in wanted:
                for buyers in args.buyers:
                    name = f"c{buyers}"
                    # A reused database may hold pending orders of earlier runs on
                    # these variants: count what this run reserves, not what is left.
                    before = stock_of(host.url, fixture["hot"][name])
                    stats = host.load(f"hot:{name}", data, users=buyers)
                    left = stock_of(host.url, fixture["hot"][name])
                    results.setdefault("contention", {})[str(buyers)] = {
                        "hot_set": name,
                        "variants": len(fixture["hot"][name]),
                        "stock": args.hot_stock,
                        "after": ", ".join(str(q - r) for q, r in left),
                        "reserved_in_run": sum(
                            after - earlier
                            for (_, after), (_, earlier) in zip(left, before, strict=True)
                        ),
                        "stats": stats,
                    }
            if "sellout" in wanted:
                results["sellout"] = sellout(args, host, data, fixture)
            if "bigcart" in wanted:
                results["bigcart"] = {
                    "lines": fixture["cart_max_lines"],
                    "users": args.bigcart_users,
                    "stats": host.load("bigcart", data, users=args.bigcart_users),
                }
                log("  bigcart: planning every statement of the largest checkout")
                plan = host.manage("bench_statement_costs", capture=True)
                results["bigcart"]["plan"] = json.loads(plan.strip().splitlines()[-1])
                log(f"    {results['bigcart']['plan']}")
        finally:
            host.stop()


def run_pricing(args, out: Path, secret: str, results: dict) -> None:
    """The pricing scenario: the cart read and the checkout flow with 0, 100 and 1,000
    active promotions, 50 zones and 20 shipping methods, in a database of its own.

    The database is made afresh each run, so one run's redemptions never reach the
    next one's baseline, and the other scenarios never see these promotions. Each
    count's throughput is reported against the first count's; the server's ceiling,
    measured again before each count, shows how busy the machine was meanwhile.
    """
    host = Host(args, f"{args.db_prefix}_pricing_{args.products}", out, secret)
    results["databases"][host.name] = {
        "products": args.products,
        **host.prepare(args.products, fresh=True),
    }
    catalog = out / f"fixture-{host.name}.json"
    host.manage("bench_fixture", str(catalog), "--hot", "")
    runs = results.setdefault("pricing", {"counts": {}})
    host.start("off")
    try:
        for count in args.promotion_counts:
            log(f"  pricing: {count:,} active promotions")
            config = out / f"pricing-{host.name}-{count}.json"
            host.manage("bench_pricing", str(config), "--promotions", str(count))
            setup = json.loads(config.read_text())
            data = out / f"fixture-{host.name}-{count}.json"
            data.write_text(json.dumps({**json.loads(catalog.read_text()), **setup}))
            runs["counts"][str(count)] = {
                "setup": {k: v for k, v in setup.items() if k != "destinations"},
                "destinations": len(setup["destinations"]),
                # The ceiling again at each count: how busy the machine was meanwhile.
                "ceiling": host.load("ceiling", catalog),
                "cart": host.load("pricing_cart", data),
                "checkout": host.load("pricing_checkout", data),
            }
        first = runs["counts"][str(args.promotion_counts[0])]["ceiling"]
        results["endpoints"].setdefault("off", {})["ceiling"] = first
    finally:
        host.stop()
    log("  pricing: consistency checks after the load")
    found = json.loads(host.manage("bench_check", capture=True).strip().splitlines()[-1])
    results["checks"][host.name] = found


def sellout(args, host: Host, data: Path, fixture: dict) -> dict:
    """32 buyers (by default), one variant, little stock: every unit sold once, the rest refused.

    Recorded from the first request, without a warm-up: the race for the last
    units is over in a few seconds. A buyer who finds the variant sold out is
    refused at cart add (400 ``insufficient_stock``); one who had it in the cart
    when another took the last unit is refused at checkout (409).
    """
    stats = host.load("hot:sellout", data, users=args.sellout_buyers, warmup=0)
    endpoints = stats["endpoints"]
    completed = endpoints.get("sellout checkout flow", {}).get("outcomes", {}).get("completed", 0)
    refused = {
        step: {
            "sold_out": endpoints.get(f"sellout {step}", {}).get("outcomes", {}).get("sold_out", 0),
            "statuses": endpoints.get(f"sellout {step}", {}).get("statuses", {}),
        }
        for step in ("cart add", "checkout")
    }
    sold_out = sum(entry["sold_out"] for entry in refused.values())
    other = sum(
        endpoints.get(f"sellout {step}", {}).get("errors", 0)
        for step in ("cart add", "checkout", "payment start")
    )
    # Every order placed is pending (nobody pays here), so the reserved count is the
    # number of orders placed, warm-up included; the statistics count only after it.
    ((quantity, reserved),) = stock_of(host.url, fixture["hot"]["sellout"])
    return {
        "buyers": args.sellout_buyers,
        "stock": args.sellout_stock,
        "orders_placed": reserved,
        "completed_measured": completed,
        "sold_out": sold_out,
        "refused": refused,
        "other_errors": other,
        "available_after": quantity - reserved,
        "clean": other == 0 and quantity == args.sellout_stock and reserved == quantity,
        "stats": stats,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH_DIR))
    sys.exit(main())
