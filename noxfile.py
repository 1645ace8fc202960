"""Developer tasks: the demo shop, lint, docs, the package build, and a quick test run.

tox owns the test matrix (``tox -m matrix``); the ``tests`` session here runs the same
four host configurations once, on the Python that runs nox.

    nox -s demo             migrate, seed and serve the demo shop on http://127.0.0.1:8000/
    nox -s demo -- 0.0.0.0:8080
    nox -s lint docs build tests
    nox -s bench -- --smoke  the benchmark, tiny (see benchmarks/README.md)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
CATALOG_ONLY = "tests.projects.catalog_only.settings"
CART_PROMOTIONS = "tests.projects.cart_promotions.settings"
#: What the cart-and-promotions host runs (as tox.ini's [testenv]): its apps' tests and
#: the host-aware ones of core.
CART_PROMOTIONS_TESTS = (
    "tests/pricing",
    "tests/promotions",
    "tests/cart",
    "tests/test_invariants.py",
    "tests/test_host_configurations.py",
    "tests/core/test_admin_site.py",
    "tests/core/test_checks.py",
    "tests/core/test_migrations.py",
    "tests/core/test_request_shape.py",
    "tests/core/test_schema.py",
    "tests/core/test_schema_defaults.py",
    "tests/core/test_throttling.py",
    "tests/core/test_urls.py",
)
LINT_PATHS = ("src", "tests", "example_project", "docs", "benchmarks", "noxfile.py")

nox.needs_version = ">=2025.2.9"
nox.options.sessions = ["lint", "tests", "docs", "build"]


def groups(*names: str) -> tuple[str, ...]:
    """The requirements of the named ``[dependency-groups]`` in pyproject.toml."""
    return nox.project.dependency_groups(PYPROJECT, *names)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the suite against the installed package in each host configuration."""
    session.install(".", *groups("test"))
    django = ("python", "-W", "error::DeprecationWarning", "-m", "django")
    session.run(*django, "check", "--fail-level", "WARNING", "--settings", "tests.settings")
    session.run(*django, "makemigrations", "--check", "--dry-run", "--settings", "tests.settings")
    session.run("pytest", "tests", *session.posargs)
    session.run(*django, "check", "--fail-level", "WARNING", "--settings", CATALOG_ONLY)
    catalog_only_tests = ("tests/core", "tests/catalog", "tests/test_invariants.py")
    session.run("pytest", *catalog_only_tests, "--ds", CATALOG_ONLY, *session.posargs)
    session.run(*django, "check", "--fail-level", "WARNING", "--settings", CART_PROMOTIONS)
    session.run("pytest", *CART_PROMOTIONS_TESTS, "--ds", CART_PROMOTIONS, *session.posargs)
    session.run("pytest", "example_project/tests", "--ds", "shop.settings", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*groups("lint"))
    session.run("ruff", "check", *LINT_PATHS)
    session.run("ruff", "format", "--check", *LINT_PATHS)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs with warnings as errors, into docs/_build/html."""
    session.install(".", *groups("docs"))
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and wheel into dist/ and check their metadata."""
    session.install("build", "twine")
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", "dist", ".")
    session.run("twine", "check", "--strict", *(str(p) for p in (ROOT / "dist").iterdir()))


@nox.session(reuse_venv=True)
def demo(session: nox.Session) -> None:
    """Install, migrate, seed the demo shop and serve it (Ctrl+C stops it).

    Extra arguments go to ``runserver`` as its address, e.g. ``nox -s demo -- 0.0.0.0:8080``.
    The database is ``example_project/db.sqlite3`` unless ``DATABASE_URL`` is set.
    """
    session.install(".", *groups("example"))
    manage = ("python", "example_project/manage.py")
    session.run(*manage, "migrate", "--noinput")
    addrport = session.posargs[0] if session.posargs else "127.0.0.1:8000"
    # seed_demo prints the credentials and the links, for the address runserver serves on.
    session.run(*manage, "seed_demo", "--addrport", addrport)
    session.log("The demo shop is starting; press Ctrl+C to stop it.")
    session.run(*manage, "runserver", "--noreload", addrport)


@nox.session(reuse_venv=True)
def bench(session: nox.Session) -> None:
    """Benchmark the API: PostgreSQL, gunicorn and locust on 127.0.0.1 (benchmarks/README.md).

    Needs a PostgreSQL role with CREATEDB at ``DATABASE_URL`` (default
    ``postgres://commerce:commerce@127.0.0.1:5432/commerce``). Arguments go to
    ``benchmarks/run.py``: ``nox -s bench -- --smoke`` checks the pipeline in a few
    minutes; ``nox -s bench -- --peer oscar`` measures commerce and django-oscar-api
    side by side with wrk; ``nox -s bench -- --help`` lists the options.
    """
    session.install(".", *groups("bench"))
    session.run("python", "benchmarks/run.py", *session.posargs)
