"""The fault test's parts: a gunicorn server, a worker killer, shoppers, a webhook mailbox.

Nothing here touches the database: the shoppers speak HTTP to the server on
127.0.0.1, and play the dummy "provider" through its gateway object, whose
state lives in the cache the server's workers share with the test.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import httpx
import psutil

from commerce.payments.gateways.base import EventType
from commerce.payments.gateways.registry import get_gateway

REPO_ROOT = Path(__file__).resolve().parents[2]

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Loop Road",
    "city": "Lagos",
    "postal_code": "100001",
    "country": "NG",
}

#: Gateway aliases a shopper pays with, and how often.
GATEWAYS = {"dummy": 5, "dummy_manual": 2, "dummy_timeout": 2}

#: Transport errors a killed worker causes: the connection drops before any response.
DROPPED = {"RemoteProtocolError", "ReadError", "WriteError", "ConnectError"}


# --- the server ------------------------------------------------------------------------


class GunicornServer:
    """gunicorn with sync workers on a loopback socket the test binds, no preload.

    The socket is bound here and handed to gunicorn as ``fd://N``, so the port
    is known before gunicorn starts and no other process can take it.
    """

    def __init__(self, workdir: Path, env: dict[str, str], *, workers: int, max_requests: int):
        self.workdir = workdir
        self.env = env
        self.workers = workers
        self.max_requests = max_requests
        self.log_path = workdir / "gunicorn.log"
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.base_url = ""

    def start(self, timeout: float = 120) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(256)
        port = listener.getsockname()[1]
        fd = listener.fileno()
        os.set_inheritable(fd, True)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"fd://{fd}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            # Workers are recycled too, as in production; with jitter so they do not all go at once.
            "--max-requests",
            str(self.max_requests),
            "--max-requests-jitter",
            str(max(1, self.max_requests // 4)),
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
            "tests.fault.wsgi:application",
        ]
        # cwd is the test's own directory, so no gunicorn.conf.py from elsewhere is picked up.
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
            )
        listener.close()
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/catalog/products/", timeout=5).is_success:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log()}")

    def worker_ages(self) -> dict[int, float]:
        """The live workers' pids and how many seconds each has been running."""
        if self.process is None or self.process.poll() is not None:
            return {}
        now = time.time()
        ages = {}
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return {}
        for child in children:
            try:
                ages[child.pid] = now - child.create_time()
            except psutil.NoSuchProcess:
                continue
        return ages

    def serving(self, pid: int) -> bool:
        """Whether worker ``pid`` holds a client's connection (a sync worker: mid-request)."""
        try:
            connections = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.Error:
            return False
        return any(
            connection.status == psutil.CONN_ESTABLISHED and connection.laddr.port == self.port
            for connection in connections
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            children = []
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()

    def log(self, limit: int = 6000) -> str:
        """The end of gunicorn's log, without the master's line about each killed worker."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        kept = [line for line in lines if "was sent SIGKILL" not in line]
        return "\n".join(kept)[-limit:]


class WorkerKiller(threading.Thread):
    """SIGKILLs one of the server's workers at random moments; gunicorn respawns it.

    A kill waits until every worker has run ``min_age`` seconds, so at most one
    is booting at a time and the server keeps making progress on a slow machine.
    It picks a worker that is serving a request when there is one (killing an
    idle worker drops nothing), so requests die at every step of their work.
    """

    def __init__(
        self,
        server: GunicornServer,
        rng: random.Random,
        interval: tuple[float, float],
        min_age: float,
    ):
        super().__init__(daemon=True, name="worker-killer")
        self.server = server
        self.rng = rng
        self.interval = interval
        self.min_age = min_age
        self.stopping = threading.Event()
        self.kills = 0
        self.mid_request = 0

    def run(self) -> None:
        while not self.stopping.wait(self.rng.uniform(*self.interval)):
            ages = self.server.worker_ages()
            while len(ages) < self.server.workers or min(ages.values()) < self.min_age:
                if self.stopping.wait(0.1):
                    return
                ages = self.server.worker_ages()
            busy = [pid for pid in sorted(ages) if self.server.serving(pid)]
            try:
                os.kill(self.rng.choice(busy or sorted(ages)), signal.SIGKILL)
            except ProcessLookupError:
                continue
            self.kills += 1
            self.mid_request += bool(busy)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


# --- what happened ---------------------------------------------------------------------


class Recorder:
    """Thread-safe tallies of every request, response and dropped connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter = Counter()
        self.statuses: Counter = Counter()
        self.dropped: Counter = Counter()
        self.client_errors: Counter = Counter()
        self.server_errors: list[str] = []
        self.notes: Counter = Counter()
        self.seconds: dict[str, list[float]] = {}

    def took(self, label: str, seconds: float) -> None:
        with self.lock:
            self.seconds.setdefault(label, []).append(seconds)

    def response(self, label: str, response: httpx.Response, *, retried: bool = False) -> None:
        """Count ``response``; a 4xx is tallied by endpoint, status and error code, with
        `` (retried)`` after the endpoint when it answered a retry (the first attempt's
        connection was dropped, perhaps after it had done its work)."""
        status = response.status_code
        code = ""
        if status >= 400:
            try:
                code = response.json()["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = "(no envelope)"
        with self.lock:
            self.requests[label] += 1
            self.statuses[status // 100 * 100] += 1
            if 400 <= status < 500:
                endpoint = f"{label} (retried)" if retried else label
                self.client_errors[(endpoint, status, code)] += 1
            elif status >= 500:
                self.server_errors.append(
                    f"{label} {response.request.method} {response.request.url.path}"
                    f" -> {status}: {response.text[:300]}"
                )

    def drop(self, label: str, exc: Exception) -> None:
        with self.lock:
            self.requests[label] += 1
            self.dropped[(label, type(exc).__name__)] += 1

    def note(self, what: str, count: int = 1) -> None:
        with self.lock:
            self.notes[what] += count

    def dropped_by_kind(self) -> Counter:
        kinds: Counter = Counter()
        for (_label, kind), count in self.dropped.items():
            kinds[kind] += count
        return kinds

    def summary(self) -> str:
        lines = [f"requests: {sum(self.requests.values())} ({dict(sorted(self.requests.items()))})"]
        lines.append(f"responses by class: {dict(sorted(self.statuses.items()))}")
        lines.append(f"dropped connections by kind: {dict(self.dropped_by_kind())}")
        lines.append(f"dropped connections by endpoint: {dict(sorted(self.dropped.items()))}")
        lines.append("4xx by endpoint, status and code:")
        lines.extend(f"  {key}: {count}" for key, count in sorted(self.client_errors.items()))
        lines.append(f"5xx: {len(self.server_errors)}")
        lines.extend(f"  {error}" for error in self.server_errors[:20])
        lines.append(f"notes: {dict(sorted(self.notes.items()))}")
        lines.append("seconds per request (median, max):")
        for label, seconds in sorted(self.seconds.items()):
            seconds = sorted(seconds)
            lines.append(f"  {label}: {seconds[len(seconds) // 2]:.2f}, {seconds[-1]:.2f}")
        return "\n".join(lines)


class TrafficOver(Exception):
    """The traffic's deadline passed: the shopper walks away mid-journey."""


class Api:
    """An HTTP client that retries a request whose connection a killed worker dropped.

    The retry is the same request: the same body and the same
    ``Idempotency-Key`` header, exactly what a careful client sends. After
    ``deadline`` (a ``time.monotonic()`` value) no new request starts: it
    raises :class:`TrafficOver`, so a run ends on time, journeys cut short.
    """

    def __init__(
        self,
        base_url: str,
        recorder: Recorder,
        *,
        deadline: float | None = None,
        attempts: int = 10,
    ) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(60))
        self.recorder = recorder
        self.deadline = deadline
        self.attempts = attempts

    def request(self, label: str, method: str, url: str, **kwargs) -> httpx.Response | None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise TrafficOver
        for attempt in range(self.attempts):
            began = time.monotonic()
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                self.recorder.took(label, time.monotonic() - began)
                self.recorder.drop(label, exc)
                if type(exc).__name__ not in DROPPED:
                    return None  # a timeout is not a killed worker: reported, not retried
                time.sleep(0.05 * (attempt + 1))
                continue
            self.recorder.took(label, time.monotonic() - began)
            self.recorder.response(label, response, retried=attempt > 0)
            return response
        self.recorder.note(f"{label}: gave up after {self.attempts} dropped connections")
        return None

    def close(self) -> None:
        self.client.close()


# --- webhooks --------------------------------------------------------------------------


class Mailbox:
    """Webhook deliveries as a provider makes them: signed, late, repeated and out of order.

    Every body sent is kept; :meth:`redeliver_one` and :meth:`flush` send
    them again (freshly signed, as providers sign each attempt).
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.lock = threading.Lock()
        self.sent: list[tuple[str, bytes]] = []
        self.held: list[tuple[str, bytes]] = []

    def send(self, api: Api, alias: str, body: bytes, *, label: str = "webhook") -> None:
        headers = {**get_gateway(alias).sign(body), "Content-Type": "application/json"}
        response = api.request(
            label, "POST", f"/api/v1/payments/webhooks/{alias}/", content=body, headers=headers
        )
        with self.lock:
            self.sent.append((alias, body))
        if response is not None and response.status_code == 200:
            for event in response.json()["events"]:
                if event["duplicate"]:
                    self.recorder.note("webhook duplicates")
                else:
                    self.recorder.note(f"webhook {event['result']}")

    def hold(self, alias: str, body: bytes) -> None:
        """Keep ``body`` back: the provider delivers it late, after later events."""
        with self.lock:
            self.held.append((alias, body))

    def redeliver_one(self, api: Api, rng: random.Random) -> None:
        with self.lock:
            if not self.sent:
                return
            alias, body = rng.choice(self.sent)
        self.send(api, alias, body, label="webhook-redelivery")

    def flush(self, api: Api, rng: random.Random) -> None:
        """Deliver what was held back, then every event again, all shuffled."""
        with self.lock:
            held, self.held = self.held, []
        rng.shuffle(held)
        for alias, body in held:
            self.send(api, alias, body, label="webhook-late")
        with self.lock:
            again = list(self.sent)
        rng.shuffle(again)
        for alias, body in again:
            self.send(api, alias, body, label="webhook-redelivery")


# --- shoppers --------------------------------------------------------------------------


def dummy_reference(redirect_url: str) -> str:
    """The dummy provider's payment id, from its confirmation page's URL."""
    return redirect_url.split("/dummy/", 1)[1].split("/", 1)[0]


class Shopper:
    """One customer, alternately signed in (their own account) and a guest, buying in a loop."""

    def __init__(
        self,
        number: int,
        api: Api,
        rng: random.Random,
        *,
        products: list[str],
        variants: list[str],
        mailbox: Mailbox,
        recorder: Recorder,
        user_token: str,
        staff_token: str,
    ) -> None:
        self.number = number
        self.api = api
        self.rng = rng
        self.products = products
        self.variants = variants
        self.mailbox = mailbox
        self.recorder = recorder
        self.user = {"Authorization": f"Bearer {user_token}"}
        self.staff = {"Authorization": f"Bearer {staff_token}"}
        self.error: BaseException | None = None
        self.paid_once = False
        self.refunds_notified: set[str] = set()

    def run(self) -> None:
        """Shop until the :class:`Api`'s deadline."""
        try:
            while True:
                self.journey()
                self.recorder.note("journeys")
                if self.rng.random() < 0.3:
                    self.mailbox.redeliver_one(self.api, self.rng)
        except TrafficOver:
            self.recorder.note("journeys cut short by the deadline")
        except Exception as exc:  # reported by the test, with the seed
            self.error = exc

    def journey(self) -> None:
        rng = self.rng
        signed_in = rng.random() < 0.5
        auth = dict(self.user) if signed_in else {}
        if not self.browse(auth):
            return
        cart_headers = dict(auth)
        # The account's cart outlives a journey: start from an empty one.
        if (
            signed_in
            and self.api.request("cart-clear", "DELETE", "/api/v1/cart/", headers=auth) is None
        ):
            return
        added = False
        for _ in range(rng.randint(1, 2)):
            line = {"variant": rng.choice(self.variants), "quantity": rng.randint(1, 3)}
            response = self.api.request(
                "cart-add", "POST", "/api/v1/cart/lines/", json=line, headers=cart_headers
            )
            if response is None:
                return
            if response.status_code == 201:
                added = True
                if response.headers.get("X-Cart-Token"):
                    cart_headers["X-Cart-Token"] = response.headers["X-Cart-Token"]
        if not added:
            return
        body = {"shipping_address": ADDRESS}
        if not signed_in:
            body["email"] = f"guest{self.number}@example.com"
        response = self.api.request(
            "checkout",
            "POST",
            "/api/v1/checkout/",
            json=body,
            headers={**cart_headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        if response is None or response.status_code != 201:
            return
        order = response.json()
        self.recorder.note("orders placed")
        headers = auth if signed_in else {"X-Order-Token": order["access_token"]}
        if rng.random() < 0.05:
            self.api.request(
                "order-cancel",
                "POST",
                f"/api/v1/orders/{order['number']}/cancel/",
                json={},
                headers=headers,
            )
            return
        self.pay(order["number"], headers)

    def browse(self, auth: dict) -> bool:
        params = {"in_stock": "true"} if self.rng.random() < 0.5 else {}
        listed = self.api.request(
            "browse-list", "GET", "/api/v1/catalog/products/", params=params, headers=auth
        )
        slug = self.rng.choice(self.products)
        detail = self.api.request(
            "browse-detail", "GET", f"/api/v1/catalog/products/{slug}/", headers=auth
        )
        return listed is not None and detail is not None

    def start_payment(self, number: str, headers: dict, alias: str) -> dict | None:
        response = self.api.request(
            "pay-start",
            "POST",
            f"/api/v1/orders/{number}/payments/",
            json={"gateway": alias},
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        if response is None or response.status_code != 201:
            return None
        return response.json()

    def pay(self, number: str, headers: dict) -> None:
        """Pay for the order; each shopper's first payment is scripted, the rest are random.

        The scripted ones (shopper ``n`` pays with the ``n % 3``-th gateway, even
        shoppers at the provider, odd ones on its page, all succeeding) take every
        path under test in even the shortest run: a timed-out start, a manual
        capture, webhooks to repeat.
        """
        rng = self.rng
        scripted, self.paid_once = not self.paid_once, True
        if scripted:
            alias = list(GATEWAYS)[self.number % len(GATEWAYS)]
        else:
            alias = rng.choices(list(GATEWAYS), weights=list(GATEWAYS.values()))[0]
        payment = self.start_payment(number, headers, alias)
        if payment is None:
            return
        if not scripted and rng.random() < 0.1:  # second thoughts: a new payment supersedes
            alias = "dummy"
            payment = self.start_payment(number, headers, alias) or payment
            self.recorder.note("payments superseded")
        reference = payment["reference"]
        redirect = (payment["next_action"] or {}).get("redirect_url", "")
        if not redirect:
            # The gateway timed out: the shopper asks again, or leaves it to reconciliation.
            self.recorder.note("starts without an answer")
            if not scripted and rng.random() < 0.4:
                return
            response = self.api.request(
                "pay-refresh", "POST", f"/api/v1/payments/{reference}/refresh/", headers=headers
            )
            if response is None or response.status_code != 200:
                return
            redirect = (response.json()["next_action"] or {}).get("redirect_url", "")
            if not redirect:
                return
        if scripted:
            choice, at_provider = "succeed", self.number % 2 == 0
        else:
            choice = rng.choices(["succeed", "fail", "requires_action"], weights=[8, 1, 1])[0]
            if rng.random() < 0.1:
                self.recorder.note("payments abandoned")
                return
            at_provider = rng.random() < 0.5
        gateway_reference = dummy_reference(redirect)
        if at_provider:
            self.provider_confirms(alias, gateway_reference, choice)
        else:
            self.api.request("pay-confirm", "POST", redirect.split("?")[0], json={"choice": choice})
        if choice == "succeed":
            self.staff_follow_up(reference, gateway_reference, payment["amount"], alias)

    def provider_confirms(self, alias: str, gateway_reference: str, choice: str) -> None:
        """The customer pays at the provider; its webhooks come on time, late or reordered."""
        rng = self.rng
        gateway = get_gateway(alias)
        bodies = gateway.confirm(gateway_reference, choice)
        if bodies and gateway.manual_capture and choice == "succeed" and rng.random() < 0.5:
            # Captured in the provider's dashboard: a capture event follows the authorization.
            result = gateway.capture(
                SimpleNamespace(gateway_reference=gateway_reference),
                None,
                idempotency_key=f"{gateway_reference}:dashboard",
            )
            bodies.append(
                gateway.event_body(
                    EventType.CAPTURED,
                    gateway_reference,
                    gateway.to_minor_units(result.amount),
                    str(result.amount.currency),
                )
            )
        roll = rng.random()
        if roll < 0.2:
            for body in bodies:
                self.mailbox.hold(alias, body)
            self.recorder.note("webhooks held back", len(bodies))
            return
        if roll < 0.5 and len(bodies) > 1:
            bodies.reverse()
            self.recorder.note("webhook pairs reordered")
        for body in bodies:
            self.mailbox.send(self.api, alias, body)

    def staff_follow_up(
        self, reference: str, gateway_reference: str, amount: dict, alias: str
    ) -> None:
        """Staff capture manual payments and refund some paid ones.

        The provider sends a webhook for each refund it made, whether or not
        staff saw the API's answer (a killed worker), duplicating what the
        API applied when it did.
        """
        rng = self.rng
        if alias == "dummy_manual" and rng.random() < 0.7:
            self.api.request(
                "staff-capture",
                "POST",
                f"/api/v1/payments/{reference}/capture/",
                json={},
                headers=self.staff,
            )
        if rng.random() >= 0.15:
            return
        body: dict = {"reason": "Fault test refund"}
        if rng.random() < 0.5:
            half = (Decimal(amount["amount"]) / 2).quantize(Decimal("0.01"))
            body["amount"] = {"amount": str(half), "currency": amount["currency"]}
        self.api.request(
            "staff-refund",
            "POST",
            f"/api/v1/payments/{reference}/refunds/",
            json=body,
            headers=self.staff,
        )
        gateway = get_gateway(alias)
        state = gateway.provider_state(gateway_reference) or {}
        for key, minor in sorted(state.get("refund_keys", {}).items()):
            if key not in self.refunds_notified:
                self.refunds_notified.add(key)
                event = gateway.event_body(
                    EventType.REFUNDED, gateway_reference, minor, state["currency"]
                )
                self.mailbox.send(self.api, alias, event)
