"""Spool-then-send: events go to the local spool, and a background thread drains it to Kafka.

The spool entry is removed only after the broker acknowledged it (acks=all, idempotent producer),
so a lost uplink or a broker restart costs latency, never events. Re-sends after a failure can
duplicate a message on the topic; every event carries an ``event_id`` and consumers de-duplicate.

When the spool cannot take an event (its disk is full), the policy is: hold it in memory, in
order, up to ``MAX_HELD`` events, and move it into the spool as soon as the uplink has freed
space; past that, drop the newest and count them. Each state change is logged as an error, and
the heartbeat says so (``spool_full``, ``spool_held``, ``spool_dropped``), so the control room
sees a box about to lose data before it does.
"""
from __future__ import annotations

import logging
import socket
import sqlite3
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass

from kafka import KafkaProducer
from kafka.errors import KafkaConnectionError, KafkaError
from pydantic import BaseModel

from checkpoint.spool import Spool, SpooledEvent
from checkpoint.wire.base import encode
from checkpoint.wire.settings import KafkaSettingsError, kafka_bootstrap, kafka_security
from checkpoint.wire.topics import ensure_topics

log = logging.getLogger(__name__)
#: Events held in memory while the spool's disk is full (a passage with its crop is ~10 KB).
MAX_HELD = 5_000


def why_unreachable(bootstrap: str, security: dict[str, object],
                    timeout_s: float = 1.0) -> str | None:
    """Why no bootstrap server can be talked to (no TCP connection; for a TLS cluster, no
    handshake with a certificate the CA vouches for), or None when one can. kafka-python only
    times out after its request timeout, naming neither."""
    tls = str(security.get("security_protocol", "")).endswith("SSL")
    context = ssl.create_default_context(cafile=security.get("ssl_cafile")) if tls else None
    reasons = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "localhost", int(port)), timeout=timeout_s) as sock:
                if context is not None:
                    context.wrap_socket(sock, server_hostname=host or "localhost").close()
                return None
        except ssl.SSLCertVerificationError as exc:
            reasons.append(f"the certificate of {server.strip()} is not trusted "
                           f"({exc.verify_message}; KAKOU_KAFKA_CA_FILE names the CA)")
        except ssl.SSLError as exc:
            reasons.append(f"TLS with {server.strip()} failed: {exc.reason or exc}")
        except (OSError, ValueError):
            reasons.append(f"no broker answers at {server.strip()}")
    return "; ".join(reasons) or f"no broker in {bootstrap!r}"


@dataclass
class UplinkStatus:
    """The uplink as the box's summary reports it: up or down, events acknowledged, failed
    sends, and the last error."""

    online: bool = False
    published: int = 0
    failures: int = 0
    last_error: str | None = None
    spool_full: bool = False   #: the spool's last write failed (its disk is full)
    held: int = 0              #: events held in memory meanwhile
    dropped: int = 0           #: events lost because memory was full too


class Publisher:
    """Durable publisher for one edge box; ``publish`` never blocks on the network."""

    def __init__(self, spool: Spool, bootstrap: str | None = None, *, batch_size: int = 500,
                 send_timeout_s: float = 15.0, max_backoff_s: float = 5.0) -> None:
        kafka_security()          # settings that cannot work stop the box here, naming the variable
        self._spool = spool
        self._bootstrap = bootstrap or kafka_bootstrap()
        self._batch_size = batch_size
        self._send_timeout_s = send_timeout_s
        self._max_backoff_s = max_backoff_s
        self._producer: KafkaProducer | None = None
        self._stale = False
        self._topics_ready = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._held: deque[tuple[str, bytes, bytes]] = deque()
        self._held_lock = threading.Lock()
        self.status = UplinkStatus()
        self._thread = threading.Thread(target=self._drain_forever, name="kakou-uplink", daemon=True)
        self._thread.start()

    def publish(self, topic: str, key: str, event: BaseModel) -> None:
        item = (topic, key.encode("utf-8"), encode(event))
        with self._held_lock:
            if not self._held and self._put(item):
                self._wake.set()
                return
            if len(self._held) < MAX_HELD:
                self._held.append(item)
            else:
                if not self.status.dropped:
                    log.error("spool full and %d events held in memory: dropping new events "
                              "until the uplink frees space", MAX_HELD)
                self.status.dropped += 1
            self.status.held = len(self._held)
        self._wake.set()

    def _put(self, item: tuple[str, bytes, bytes]) -> bool:
        """Spool one event; False when the spool cannot take it (its disk is full)."""
        try:
            self._spool.put(*item)
        except sqlite3.OperationalError as exc:
            if not self.status.spool_full:
                log.error("spool cannot take events (%s): holding them in memory, up to %d",
                          exc, MAX_HELD)
            self.status.spool_full = True
            return False
        if self.status.spool_full:
            log.error("spool takes events again; %d were dropped meanwhile", self.status.dropped)
        self.status.spool_full = False
        return True

    def _spool_held(self) -> None:
        """Move events held in memory into the spool, oldest first, while it takes them."""
        with self._held_lock:
            while self._held and self._put(self._held[0]):
                self._held.popleft()
            self.status.held = len(self._held)

    def depth(self) -> int:
        """Events waiting for Kafka: in the spool, and held in memory while it is full."""
        return self._spool.depth() + self.status.held

    def spool_state(self) -> tuple[bool, int, int]:
        return self.status.spool_full, self.status.held, self.status.dropped

    def wait_drained(self, timeout_s: float) -> bool:
        """Block until everything spooled so far is acknowledged, or the timeout passes."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.depth() == 0:
                return True
            self._wake.set()
            time.sleep(0.1)
        return self.depth() == 0

    def close(self) -> None:
        """Stop the uplink thread; whatever is not yet acknowledged stays spooled for next start."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=self._send_timeout_s + 5)
        self._drop_producer()

    def _drain_forever(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            if self.status.held:
                self._spool_held()
            batch = self._spool.peek(self._batch_size)
            if not batch:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            acked = self._send(batch)
            if acked:
                self._spool.remove(acked)
                self.status.published += len(acked)
            if len(acked) == len(batch):
                backoff = 0.2
                continue
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self._max_backoff_s)

    def _send(self, batch: list[SpooledEvent]) -> list[int]:
        """Send a batch in order; return the seqs of the acknowledged prefix."""
        acked: list[int] = []
        try:
            producer = self._connect()
            futures = [producer.send(e.topic, key=e.key, value=e.value) for e in batch]
            producer.flush(timeout=self._send_timeout_s)
            for event, future in zip(batch, futures):
                future.get(timeout=0)
                acked.append(event.seq)
            self._mark_online()
            return acked
        except (KafkaError, KafkaSettingsError) as exc:
            # What was not acknowledged is sent again from the spool, by a fresh producer: after
            # expired batches an idempotent producer's sequence numbers can leave it stuck. A
            # duplicate this may cause is removed downstream by event_id.
            self._mark_offline(exc)
            self._stale = True
            return acked

    def _connect(self) -> KafkaProducer:
        if self._stale:
            self._drop_producer()
            self._stale = False
        if self._producer is not None:
            return self._producer
        security = kafka_security()
        # no client is built against a dead broker: kafka-python leaves background loops behind
        problem = why_unreachable(self._bootstrap, security)
        if problem:
            raise KafkaConnectionError(problem)
        if not self._topics_ready:
            ensure_topics(self._bootstrap)
            self._topics_ready = True
        self._producer = KafkaProducer(
            bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True,
            linger_ms=5, max_block_ms=int(self._send_timeout_s * 1000),
            request_timeout_ms=int(self._send_timeout_s * 500),
            delivery_timeout_ms=int(self._send_timeout_s * 1000),
            reconnect_backoff_max_ms=2_000, client_id="kakou-edge", **security,
        )
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=2)
            except Exception:  # noqa: BLE001 - closing a broken client must not kill the uplink
                log.debug("closing producer failed", exc_info=True)
            self._producer = None

    def _mark_online(self) -> None:
        if not self.status.online:
            log.info("uplink to Kafka at %s is up", self._bootstrap)
        self.status.online = True

    def _mark_offline(self, exc: Exception) -> None:
        if self.status.online or self.status.last_error is None:
            log.warning("uplink to Kafka at %s is down (%s); spooling, %d waiting",
                        self._bootstrap, exc, self._spool.depth())
        self.status.online = False
        self.status.failures += 1
        self.status.last_error = f"{type(exc).__name__}: {exc}"
