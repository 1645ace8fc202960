"""The two stacks of the peer run: commerce's bench host and the oscar host.

Each runs in its own PostgreSQL database and on its own loopback port, served by
gunicorn with the same options (``run.Host.start``). The oscar stack lives in a
virtualenv of its own (:func:`oscar_python`), built once in the cache folder
and reused while its pins are the same; none of oscar's code is committed.

A stack knows the requests of each wrk endpoint (``paths``, :meth:`detail_paths`,
:meth:`cart_add_requests`) and its flows (:meth:`flows`), all for the same catalog
size, and names the endpoints it has no counterpart for (``lacks``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import uuid
from importlib.metadata import version
from pathlib import Path

from client import Client, Flow, FlowError
from run import LOOPBACK, Host, connect, create_database, database_exists, log
from wrk import Request

PEERS_DIR = Path(__file__).resolve().parent
#: The peer's versions, as issue 12 asks; Django 5.2 is the newest oscar 4.2.1 supports.
OSCAR_PINS = ["django-oscar==4.2.1", "django-oscar-api==3.3.0", "Django==5.2.19"]
#: Products in every cart the cart-add scenario adds to, and buyers' address.
CART_LINES = 3
#: Carts per wrk connection in the cart-add pool: requests pick one at random, so two
#: connections rarely write the same cart at once (which would measure its row lock).
CARTS_PER_CONNECTION = 16
#: Variants with stock beyond reach for the cart-add carts and the checkout flow.
#: The flow's set is a tenth of the catalog, at most 200 variants: few enough to leave the
#: rest of the catalog to the ordinary pool, many enough that buyers rarely meet on one.
CART_SET, FLOW_SET, FLOW_VARIANTS, HOT_STOCK = "peercart", "peerflow", 200, 1_000_000
EMAIL = "buyer@example.com"
JSON = {"Content-Type": "application/json"}
COMMERCE_ADDRESS = {
    "full_name": "Bench Buyer",
    "line1": "1 Loop Road",
    "city": "Lagos",
    "postal_code": "100001",
    "country": "NG",
}


def shared_pins() -> list[str]:
    """gunicorn and psycopg at the versions commerce's side runs, so only the shop differs."""
    return [f"gunicorn=={version('gunicorn')}", f"psycopg[binary]=={version('psycopg')}"]


def oscar_python(cache: Path) -> Path:
    """The oscar virtualenv's interpreter, built (or rebuilt when the pins change) in ``cache``."""
    pins = [*OSCAR_PINS, *shared_pins()]
    digest = hashlib.sha256("\n".join(pins).encode()).hexdigest()[:12]
    venv = cache / f"oscar-venv-{digest}"
    python = venv / "bin" / "python"
    marker = venv / "pins.txt"
    if marker.exists() and marker.read_text() == "\n".join(pins):
        return python
    log(f"building the oscar virtualenv in {venv}: {', '.join(pins)}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins],
        check=True,
    )
    marker.write_text("\n".join(pins))
    return python


def installed_versions(python: Path, packages: list[str]) -> dict[str, str]:
    probe = (
        "import json, sys; from importlib.metadata import version; "
        "print(json.dumps({p: version(p) for p in sys.argv[1:]}))"
    )
    result = subprocess.run(
        [str(python), "-c", probe, *packages], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


class Stack(Host):
    """A shop under test: its label, the paths of its plain GET endpoints, its flows,
    the endpoints it lacks, its server."""

    label = ""
    paths: dict[str, str] = {}
    #: Endpoints this stack has no counterpart for (key -> why): the run skips them on
    #: this stack and the report shows them as n/a.
    lacks: dict[str, str] = {}

    def flows(self) -> dict[str, tuple[str, Flow]]:
        """The flow endpoints this stack runs: key -> (its steps, as the report names
        them; one flow)."""
        return {}

    def start_server(self) -> None:
        # commerce's catalog cache stays off: oscar has none to compare it with.
        self.start("off")

    def prepare_cart(self, client: Client) -> list[Request]:
        """Fill a new cart with the cart-add products; the wrk requests that add to it."""
        raise NotImplementedError

    def cart_add_requests(self, carts: int) -> list[Request]:
        """``carts`` carts of :data:`CART_LINES` lines, and the requests that add to them."""
        client = Client(self.args.port)
        try:
            return [request for _ in range(carts) for request in self.prepare_cart(client)]
        finally:
            client.close()


class CommerceStack(Stack):
    """commerce's bench host (``benchhost.settings``, catalog cache off), on its own port."""

    label = "commerce"
    paths = {
        "nodb": "/bench/nodb/",
        "values": "/bench/ceiling/",
        "list": "/api/v1/catalog/products/",
        "categories": "/api/v1/catalog/categories/",
    }

    def prepare_catalog(self, products: int) -> dict:
        info = self.prepare(products)
        fixture = self.out / f"fixture-{self.name}.json"
        flow_variants = min(FLOW_VARIANTS, products // 10)
        hot = f"{CART_SET}:{CART_LINES}:{HOT_STOCK},{FLOW_SET}:{flow_variants}:{HOT_STOCK}"
        self.manage("bench_fixture", str(fixture), "--products", str(products), "--hot", hot)
        self.fixture = json.loads(fixture.read_text())
        return info

    def detail_paths(self) -> list[str]:
        return [f"/api/v1/catalog/products/{slug}/" for slug in self.fixture["products"]]

    def prepare_cart(self, client: Client) -> list[Request]:
        variants = self.fixture["hot"][CART_SET]
        token = None
        for variant in variants:
            headers = {"X-Cart-Token": token} if token else {}
            added = client.call(
                "POST", "/api/v1/cart/lines/", {"variant": variant, "quantity": 1}, headers
            )
            token = added.headers["X-Cart-Token"] or token
        return [
            Request(
                "/api/v1/cart/lines/",
                "POST",
                {**JSON, "X-Cart-Token": token},
                json.dumps({"variant": variant, "quantity": 1}),
            )
            for variant in variants
        ]

    def flows(self) -> dict[str, tuple[str, Flow]]:
        return {
            "checkout": ("cart add + checkout", self.checkout),
            "checkout_payment": ("cart add + checkout + payment start", self.checkout_and_pay),
        }

    def checkout(self, client: Client, rng: random.Random) -> dict:
        """Cart add (a new cart), then guest checkout; the order placed."""
        variant = rng.choice(self.fixture["hot"][FLOW_SET])
        added = client.call("POST", "/api/v1/cart/lines/", {"variant": variant, "quantity": 1})
        token = added.headers["X-Cart-Token"]
        return client.call(
            "POST",
            "/api/v1/checkout/",
            {"email": EMAIL, "shipping_address": COMMERCE_ADDRESS, "shipping_method": "standard"},
            {"X-Cart-Token": token, "Idempotency-Key": uuid.uuid4().hex},
            expect=(201,),
        ).json()

    def checkout_and_pay(self, client: Client, rng: random.Random) -> None:
        """:meth:`checkout`, then the dummy payment start: the whole flow a buyer runs."""
        order = self.checkout(client, rng)
        client.call(
            "POST",
            f"/api/v1/orders/{order['number']}/payments/",
            {"gateway": "dummy", "return_url": "http://127.0.0.1/thanks/"},
            {"X-Order-Token": order["access_token"], "Idempotency-Key": uuid.uuid4().hex},
            expect=(201,),
        )


class OscarStack(Stack):
    """django-oscar 4.2.1 + django-oscar-api 3.3.0 (``oscarhost.settings``), in its venv.

    oscar-api keeps an anonymous basket in the Django session (the basket's id under
    ``OSCAR_BASKET_COOKIE_OPEN`` in the session, the session in the ``sessionid``
    cookie): a client that sends no cookie gets a new basket and session with its
    first add; one that sends the cookie adds to that basket.
    """

    label = "oscar-api"
    wsgi_app = "oscarhost.wsgi:application"
    paths = {
        "nodb": "/bench/nodb/",
        "values": "/bench/values/",
        "list": "/api/products/",
        "categories": "/api/categories/",
    }
    lacks = {
        "checkout_payment": "no payment step; its checkout places the order and leaves "
        "payment to the project",
    }

    def __init__(self, args, name: str, out: Path, python: Path) -> None:
        super().__init__(args, name, out, secret="")
        self.python = str(python)

    def env(self, catalog_cache: str = "off") -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
        env.update(
            PYTHONPATH=str(PEERS_DIR),
            DJANGO_SETTINGS_MODULE="oscarhost.settings",
            DATABASE_URL=self.url,
            DJANGO_SECRET_KEY=self.secret_key,
        )
        return env

    def prepare_catalog(self, products: int) -> dict:
        if self.args.reseed or not database_exists(self.args.database_url, self.name):
            log(f"creating database {self.name}")
            create_database(self.args.database_url, self.name, drop=self.args.reseed)
        self.manage("migrate", "--noinput", "-v", "0")
        log(f"seeding {self.name} to {products:,} products")
        self.manage("peer_seed", "--products", str(products))
        with connect(self.url) as connection:
            ids = connection.execute("SELECT id FROM catalogue_product ORDER BY id").fetchall()
        self.product_ids = [row[0] for row in ids]
        return {"products": len(ids)}

    def product_url(self, product_id: int) -> str:
        return f"http://{LOOPBACK}:{self.args.port}/api/products/{product_id}/"

    def detail_paths(self) -> list[str]:
        return [f"/api/products/{product_id}/" for product_id in self.product_ids]

    def add(self, client: Client, product_id: int, cookie: str | None) -> tuple[str, dict]:
        """Add one of a product to the session's basket (a new one without ``cookie``)."""
        headers = {"Cookie": cookie} if cookie else {}
        added = client.call(
            "POST",
            "/api/basket/add-product/",
            {"url": self.product_url(product_id), "quantity": 1},
            headers,
        )
        session = added.headers.get("Set-Cookie", "")
        if session.startswith("sessionid="):
            cookie = session.split(";", 1)[0]
        if not cookie:
            raise FlowError("oscar-api set no session cookie")
        return cookie, added.json()

    def prepare_cart(self, client: Client) -> list[Request]:
        products = self.product_ids[:CART_LINES]
        cookie = None
        for product_id in products:
            cookie, _ = self.add(client, product_id, cookie)
        return [
            Request(
                "/api/basket/add-product/",
                "POST",
                {**JSON, "Cookie": cookie},
                json.dumps({"url": self.product_url(product_id), "quantity": 1}),
            )
            for product_id in products
        ]

    def flows(self) -> dict[str, tuple[str, Flow]]:
        return {"checkout": ("basket add + checkout", self.checkout)}

    def checkout(self, client: Client, rng: random.Random) -> None:
        """Basket add (a new session and basket), then oscar-api's guest checkout.

        oscar-api has no payment step: its checkout places the order (oscar's
        ``OrderPlacementMixin``) and leaves payment to the project, hence ``lacks``.
        """
        cookie, basket = self.add(client, rng.choice(self.product_ids), None)
        client.call(
            "POST",
            "/api/checkout/",
            {
                "basket": basket["url"],
                "guest_email": EMAIL,
                "shipping_address": {
                    "country": f"http://{LOOPBACK}:{self.args.port}/api/countries/NG/",
                    "first_name": "Bench",
                    "last_name": "Buyer",
                    "line1": "1 Loop Road",
                    "line4": "Lagos",
                    "postcode": "100001",
                },
            },
            {"Cookie": cookie},
            expect=(200,),
        )
