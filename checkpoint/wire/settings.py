"""Where the wire is: the Kafka cluster, how kakou's clients authenticate to it, and how its
topics are named and replicated.

``KAFKA_BOOTSTRAP_SERVERS`` points kakou at an existing cluster (production, docker/compose.yaml);
unset, it is the local broker that ``make services`` starts, whose port ``KAKOU_KAFKA_PORT`` may
move. A secured cluster is named by ``KAKOU_KAFKA_SECURITY_PROTOCOL`` (``SSL``,
``SASL_PLAINTEXT`` or ``SASL_SSL``; default ``PLAINTEXT``), ``KAKOU_KAFKA_SASL_MECHANISM``
(``PLAIN``, ``SCRAM-SHA-256``, ``SCRAM-SHA-512``), ``KAKOU_KAFKA_USERNAME``,
``KAKOU_KAFKA_PASSWORD_FILE`` (the password is read from a file, never from a variable or a
config) and ``KAKOU_KAFKA_CA_FILE`` (the cluster's CA, for SSL). Each function reads the
environment when it is called, so nothing is fixed at import.
"""
from __future__ import annotations

import os
from pathlib import Path

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class KafkaSettingsError(ValueError):
    """Security settings that cannot be used; says which variable."""


def kafka_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or (
        f"127.0.0.1:{os.environ.get('KAKOU_KAFKA_PORT', '9092')}"
    )


def replication_factor() -> int:
    """1 on the single local broker; set KAKOU_REPLICATION_FACTOR=3 on a real cluster."""
    return int(os.environ.get("KAKOU_REPLICATION_FACTOR", "1"))


def topic_prefix() -> str:
    """Prepended to every topic name (default ``kakou.``): ``KAKOU_TOPIC_PREFIX`` lets a staging
    deployment or a benchmark share a cluster without touching the real topics."""
    return os.environ.get("KAKOU_TOPIC_PREFIX", "kakou.")


def kafka_security() -> dict[str, object]:
    """The client settings for the cluster's security, as kafka-python names them (aiokafka
    and Faust take the same, see ``stream.app``); empty for a plain cluster."""
    protocol = os.environ.get("KAKOU_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper()
    if protocol not in PROTOCOLS:
        raise KafkaSettingsError(f"KAKOU_KAFKA_SECURITY_PROTOCOL: {protocol!r} is not one of "
                                 f"{', '.join(PROTOCOLS)}")
    if protocol == "PLAINTEXT":
        return {}
    settings: dict[str, object] = {"security_protocol": protocol}
    if protocol.startswith("SASL"):
        mechanism = os.environ.get("KAKOU_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512").upper()
        if mechanism not in MECHANISMS:
            raise KafkaSettingsError(f"KAKOU_KAFKA_SASL_MECHANISM: {mechanism!r} is not one of "
                                     f"{', '.join(MECHANISMS)}")
        username = os.environ.get("KAKOU_KAFKA_USERNAME", "")
        password_file = os.environ.get("KAKOU_KAFKA_PASSWORD_FILE", "")
        if not username or not password_file:
            raise KafkaSettingsError(f"{protocol} needs KAKOU_KAFKA_USERNAME and "
                                     "KAKOU_KAFKA_PASSWORD_FILE")
        try:
            password = Path(password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise KafkaSettingsError(f"KAKOU_KAFKA_PASSWORD_FILE: cannot read {password_file}: "
                                     f"{exc.strerror}") from None
        settings.update(sasl_mechanism=mechanism, sasl_plain_username=username,
                        sasl_plain_password=password)
    if protocol.endswith("SSL") and os.environ.get("KAKOU_KAFKA_CA_FILE"):
        settings["ssl_cafile"] = os.environ["KAKOU_KAFKA_CA_FILE"]
    return settings
