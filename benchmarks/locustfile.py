"""Load scenarios for the commerce benchmark, one per run, chosen by ``BENCH_SCENARIO``.

``benchmarks/run.py`` starts ``locust --headless`` with this file once per
scenario; it is not meant to be started by hand, but it can be::

    BENCH_SCENARIO=list BENCH_DATA=fixture.json BENCH_STATS=out.json \
        locust -f benchmarks/locustfile.py --headless -u 16 -t 20s --host http://127.0.0.1:8765

Scenarios (each user loops without think time):

``ceiling``   GET /bench/ceiling/ (the bare Django view)
``list``      GET /api/v1/catalog/products/
``search``    the list filtered by category and in_stock, searched by a word
``detail``    GET /api/v1/catalog/products/{slug}/ over a sample of products
``cart_add``  POST /api/v1/cart/lines/ into anonymous carts of up to 5 lines
``checkout``  one flow = cart add + guest checkout + dummy payment start
``webhook``   signed dummy ``captured`` webhooks for the payments checkout started
``bigcart``   one flow = the largest cart (``CART_MAX_LINES`` distinct variants, added
              one by one) + guest checkout + dummy payment start
``hot:NAME``  the checkout flow on the few variants of hot set NAME
``pricing_cart``      GET /api/v1/cart/ of a 3-line cart, priced for one of the
                      ``destinations`` (shipping options and tax estimated)
``pricing_checkout``  one flow = 3 cart adds + checkout with the destination's
                      shipping method (no payment)

Locust's own statistics round latencies; this file records every response
time itself (after ``BENCH_WARMUP`` seconds) and writes exact counts,
percentiles, status codes and error codes to ``BENCH_STATS`` when the run
stops. A checkout refused for lack of stock (``insufficient_stock``: 400 on
cart add, 409 at checkout) is counted as ``sold_out``, not as an error.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import random
import time
import uuid
from collections import Counter, defaultdict
from urllib.parse import urlencode

from locust import FastHttpUser, constant, events, task
from run import SEARCH_WORDS

from report import percentile

SCENARIO = os.environ.get("BENCH_SCENARIO", "list")
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
WEBHOOK_SECRET = os.environ.get("BENCH_WEBHOOK_SECRET", "bench-webhook-secret-not-for-production")
with open(os.environ["BENCH_DATA"]) as _handle:
    DATA = json.load(_handle)

ADDRESS = {
    "full_name": "Bench Buyer",
    "line1": "1 Loop Road",
    "city": "Lagos",
    "postal_code": "100001",
    "country": "NG",
}
FLOW = "checkout flow"
#: The pricing scenario's names start with this.
PRICING = "pricing "
#: What a pricing destination gives the cart's query and the shipping address.
DESTINATION_FIELDS = ("country", "region", "postal_code")
SOLD_OUT = "insufficient_stock"


class Recorder:
    """Every response after the warm-up: latencies, statuses, error codes, outcomes."""

    def __init__(self) -> None:
        self.started = None
        self.window_start = None
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.outcomes: dict[str, Counter] = defaultdict(Counter)

    def measuring(self) -> bool:
        return self.window_start is not None and time.time() >= self.window_start

    def record(self, name: str, milliseconds: float, status: int, error: str | None) -> None:
        if not self.measuring():
            return
        self.latencies[name].append(milliseconds)
        self.statuses[name][str(status)] += 1
        if error:
            self.errors[name][error] += 1

    def outcome(self, name: str, outcome: str) -> None:
        if self.measuring():
            self.outcomes[name][outcome] += 1

    def dump(self, path: str) -> None:
        elapsed = max(time.time() - (self.window_start or time.time()), 1e-9)
        report = {"scenario": SCENARIO, "seconds": elapsed, "endpoints": {}}
        for name, values in self.latencies.items():
            values.sort()
            report["endpoints"][name] = {
                "requests": len(values),
                "rps": len(values) / elapsed,
                "p50_ms": percentile(values, 50),
                "p90_ms": percentile(values, 90),
                "p99_ms": percentile(values, 99),
                "max_ms": values[-1] if values else None,
                "statuses": dict(self.statuses[name]),
                "errors": sum(self.errors[name].values()),
                "error_kinds": dict(self.errors[name]),
                "outcomes": dict(self.outcomes[name]),
            }
        with open(path, "w") as handle:
            json.dump(report, handle, indent=2)


RECORDER = Recorder()


@events.test_start.add_listener
def _start(environment, **kwargs):
    RECORDER.started = time.time()
    RECORDER.window_start = RECORDER.started + WARMUP


@events.quitting.add_listener
def _quit(environment, **kwargs):
    RECORDER.dump(os.environ["BENCH_STATS"])


def error_code(response) -> str:
    """The envelope's error code, or the status when the body is not the envelope."""
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"http_{response.status_code}"


class BenchUser(FastHttpUser):
    """One shopper (or provider) looping on the chosen scenario."""

    wait_time = constant(0)
    # Keep-alive connections, as a browser or a load balancer keeps them.
    concurrency = 1

    def on_start(self):
        self.cart_token = None
        self.cart_lines = 0
        self.rng = random.Random()

    def call(self, method: str, path: str, name: str, *, expect=(200,), sold_out_ok=False, **kw):
        """One request, recorded under ``name``; returns the response or ``None`` on failure."""
        started = time.perf_counter()
        with self.client.request(method, path, name=name, catch_response=True, **kw) as response:
            milliseconds = (time.perf_counter() - started) * 1000
            status = response.status_code
            if status in expect:
                response.success()
                RECORDER.record(name, milliseconds, status, None)
                return response
            code = error_code(response) if status else f"connection: {response.error}"
            if sold_out_ok and code == SOLD_OUT:
                response.success()
                RECORDER.record(name, milliseconds, status, None)
                RECORDER.outcome(name, "sold_out")
                return None
            response.failure(f"{status} {code}")
            RECORDER.record(name, milliseconds, status, f"{status} {code}")
            return None

    # --- reads ------------------------------------------------------------------------

    def ceiling(self):
        self.call("GET", "/bench/ceiling/", "ceiling")

    def product_list(self):
        self.call("GET", "/api/v1/catalog/products/", "list")

    def search(self):
        category = self.rng.choice(DATA["categories"])
        word = self.rng.choice(SEARCH_WORDS)
        path = f"/api/v1/catalog/products/?category={category}&search={word}&in_stock=true"
        self.call("GET", path, "search")

    def detail(self):
        slug = self.rng.choice(DATA["products"])
        self.call("GET", f"/api/v1/catalog/products/{slug}/", "detail")

    # --- writes -----------------------------------------------------------------------

    def add_line(self, variant: str, name: str, *, new_cart: bool, sold_out_ok: bool):
        headers = {} if new_cart or not self.cart_token else {"X-Cart-Token": self.cart_token}
        response = self.call(
            "POST",
            "/api/v1/cart/lines/",
            name,
            expect=(200, 201),
            sold_out_ok=sold_out_ok,
            json={"variant": variant, "quantity": 1},
            headers=headers,
        )
        if response is not None and response.headers.get("X-Cart-Token"):
            self.cart_token = response.headers["X-Cart-Token"]
        return response

    def cart_add(self):
        # A shopper's cart holds a few lines; then a new shopper starts an empty one.
        new_cart = self.cart_lines >= 5
        if self.add_line(
            self.rng.choice(DATA["variants"]), "cart add", new_cart=new_cart, sold_out_ok=True
        ):
            self.cart_lines = 1 if new_cart else self.cart_lines + 1

    def checkout_and_pay(
        self, prefix: str, flow: str, destination: dict | None = None, *, pay: bool = True
    ) -> bool:
        """Check the shopper's cart out (to ``destination``, with its shipping method;
        by default Nigeria's) and, with ``pay``, start a dummy payment, each step
        recorded under ``prefix``; a refusal is recorded as ``flow``'s outcome.
        Whether every step went through."""
        address, method = ADDRESS, "standard"  # seed_demo's method for Nigeria in USD
        if destination is not None:
            method = destination["method"]
            address = {**ADDRESS, **{k: destination[k] for k in DESTINATION_FIELDS}}
        placed = self.call(
            "POST",
            "/api/v1/checkout/",
            f"{prefix}checkout",
            expect=(201,),
            sold_out_ok=True,
            json={
                "email": "buyer@example.com",
                "shipping_address": address,
                "shipping_method": method,
            },
            headers={"X-Cart-Token": self.cart_token, "Idempotency-Key": uuid.uuid4().hex},
        )
        if placed is None:
            RECORDER.outcome(flow, "refused at checkout")
            return False
        if not pay:
            return True
        order = placed.json()
        paid = self.call(
            "POST",
            f"/api/v1/orders/{order['number']}/payments/",
            f"{prefix}payment start",
            expect=(201,),
            json={"gateway": "dummy", "return_url": "http://127.0.0.1/thanks/"},
            headers={"X-Order-Token": order["access_token"], "Idempotency-Key": uuid.uuid4().hex},
        )
        if paid is None:
            RECORDER.outcome(flow, "failed at payment start")
            return False
        return True

    def fill_cart(self, variants: list[str], prefix: str, lines: int) -> bool:
        """A new cart of ``lines`` distinct variants, each add recorded under ``prefix``;
        whether every add went through (a refusal is ``prefix`` flow's outcome)."""
        for index, variant in enumerate(self.rng.sample(variants, lines)):
            added = self.add_line(
                variant, f"{prefix}cart add", new_cart=index == 0, sold_out_ok=True
            )
            if added is None:
                RECORDER.outcome(f"{prefix}{FLOW}", "refused at cart add")
                return False
        return True

    def checkout_flow(
        self, variants: list[str], prefix: str = "", *, lines: int = 1, destination=None
    ):
        """Cart add(s), checkout and (without a ``destination``) a payment start."""
        started = time.perf_counter()
        if not self.fill_cart(variants, prefix, lines):
            return
        pay = destination is None
        if not self.checkout_and_pay(prefix, f"{prefix}{FLOW}", destination, pay=pay):
            return
        milliseconds = (time.perf_counter() - started) * 1000
        RECORDER.record(f"{prefix}{FLOW}", milliseconds, 201, None)
        RECORDER.outcome(f"{prefix}{FLOW}", "completed")

    def big_cart(self):
        """The largest cart the shop allows, of distinct variants, checked out and paid for.

        Records the whole flow (``bigcart flow``), the time to add every line
        (``bigcart add all``), each add, the checkout and the payment start. A
        variant found sold out is replaced by another; any other refusal ends the
        flow as a failure.
        """
        prefix = "bigcart "
        lines = DATA["cart_max_lines"]
        started = time.perf_counter()
        added = 0
        for variant in self.rng.sample(DATA["variants"], min(len(DATA["variants"]), 2 * lines)):
            if added == lines:
                break
            response = self.add_line(
                variant, f"{prefix}cart add", new_cart=added == 0, sold_out_ok=True
            )
            added += response is not None
        if added < lines:
            RECORDER.outcome(f"{prefix}flow", "failed to fill the cart")
            return
        adds_ms = (time.perf_counter() - started) * 1000
        RECORDER.record(f"{prefix}add all", adds_ms, 201, None)
        if not self.checkout_and_pay(prefix, f"{prefix}flow"):
            return
        RECORDER.record(f"{prefix}flow", (time.perf_counter() - started) * 1000, 201, None)
        RECORDER.outcome(f"{prefix}flow", "completed")

    def pricing_cart(self):
        """Read a 3-line cart priced for a destination: promotions, shipping, tax."""
        if self.cart_token is None and not self.fill_cart(DATA["variants"], PRICING, 3):
            self.cart_token = None
            return
        destination = self.rng.choice(DATA["destinations"])
        query = urlencode({k: destination[k] for k in DESTINATION_FIELDS if destination[k]})
        self.call(
            "GET",
            f"/api/v1/cart/?{query}",
            f"{PRICING}cart read",
            headers={"X-Cart-Token": self.cart_token},
        )

    def webhook(self):
        reference, amount, currency = next(PAYMENTS)
        body = json.dumps(
            {
                "id": f"evt_bench_{uuid.uuid4().hex}",
                "type": "captured",
                "reference": reference,
                "amount": amount,
                "currency": currency,
                "created": int(time.time()),
            },
            separators=(",", ":"),
        ).encode()
        timestamp = int(time.time())
        digest = hmac.new(
            WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        response = self.call(
            "POST",
            "/api/v1/payments/webhooks/dummy/",
            "webhook",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Dummy-Signature": f"t={timestamp},v1={digest}",
            },
        )
        if response is not None:
            for event in response.json().get("events", []):
                RECORDER.outcome("webhook", event.get("result", "?"))

    @task
    def scenario(self):
        if SCENARIO.startswith("hot:"):
            name = SCENARIO.split(":", 1)[1]
            self.checkout_flow(DATA["hot"][name], prefix=f"{name} ")
            return
        {
            "ceiling": self.ceiling,
            "list": self.product_list,
            "search": self.search,
            "detail": self.detail,
            "cart_add": self.cart_add,
            "checkout": lambda: self.checkout_flow(DATA["variants"]),
            "webhook": self.webhook,
            "bigcart": self.big_cart,
            "pricing_cart": self.pricing_cart,
            "pricing_checkout": lambda: self.checkout_flow(
                DATA["variants"],
                PRICING,
                lines=3,
                destination=self.rng.choice(DATA["destinations"]),
            ),
        }[SCENARIO]()


# The webhook scenario walks the payments checkout started, once each, then again
# (a second "captured" event for a captured payment is a recorded no-op).
PAYMENTS = itertools.cycle(DATA.get("payments") or [["dummy_none", 100, "USD"]])
