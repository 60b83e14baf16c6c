"""Last of the run (files run in name order): no log of the whole run holds a secret the tests
used, or a document's number, name or MRZ: the test process's own log (consoles, boxes'
uplinks), the stream workers', the boxes' (in the tests' folders) and the services'."""
from __future__ import annotations

from .conftest import ROOT, RUN_LOG
from .console_fixtures import PASSWORD
from .test_authenticated_redis import PASSWORD as REDIS_PASSWORD
from .test_secured_kafka import SERVICES
from .test_terminal import KEY, TOKEN, documents

SECRETS = [PASSWORD, KEY.secret.decode(), TOKEN, "console-token-for-the-box-0123456789",
           SERVICES.KAFKA_SASL_PASSWORD, SERVICES.PG_SECURE_PASSWORD, REDIS_PASSWORD,
           *documents()[4]]


def test_no_log_of_the_run_holds_a_secret_or_a_documents_data(worker, tmp_path_factory):
    logs = [RUN_LOG, worker.log_path, *(ROOT / ".services").glob("*/*.log"),
            *tmp_path_factory.getbasetemp().rglob("*.log")]
    read = [p for p in logs if p.is_file()]
    assert RUN_LOG in read and worker.log_path in read and len(read) >= 5
    found = {str(p): [s for s in SECRETS if s.encode() in p.read_bytes()] for p in read}
    assert not {p: s for p, s in found.items() if s}
