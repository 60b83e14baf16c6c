"""The worker's app finds its agents by autodiscovery, and a worker imports the stream's
runtime only: not its lab (whose benchmark has a Faust app of its own), not the edge."""
import json
import subprocess
import sys

PROBE = """
import json, sys
from faust.cli.base import prepare_app
import stream.app
prepare_app(stream.app.app, "stream.app")   # what `faust -A stream.app worker` does first
print(json.dumps({"modules": sorted(m for m in sys.modules if m.startswith(("stream", "checkpoint"))),
                  "agents": sorted(stream.app.app.agents),
                  "tasks": sorted(t.__name__ for t in stream.app.app._app_tasks)}))
"""


def test_a_worker_discovers_every_agent_and_imports_no_lab():
    found = json.loads(subprocess.run([sys.executable, "-c", PROBE], capture_output=True,
                                      text=True, check=True).stdout)
    assert found["agents"] == ["stream.agents.heartbeats.track_heartbeats",
                               "stream.agents.idchecks.match_idchecks",
                               "stream.agents.passages.match_passages"]
    assert {"follow_watchlist", "watch_checkpoints", "escalate_unacknowledged"} <= set(found["tasks"])
    modules = found["modules"]
    assert not [m for m in modules if m.startswith("stream.lab")]
    assert [m for m in modules if m.startswith("checkpoint")] == \
        [m for m in modules if m.startswith("checkpoint.wire") or m == "checkpoint"]


def test_kakou_security_settings_become_faust_and_aiokafka_credentials():
    import faust

    from stream.app import aiokafka_security, faust_credentials
    sasl = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",
            "sasl_plain_username": "u", "sasl_plain_password": "p"}
    assert faust_credentials({}) is None
    credentials = faust_credentials(sasl)
    assert isinstance(credentials, faust.SASLCredentials) and credentials.username == "u"
    assert aiokafka_security(sasl) == sasl
    tls = aiokafka_security({"security_protocol": "SSL"})
    assert tls["security_protocol"] == "SSL" and tls["ssl_context"] is not None
