"""Kafka security settings from the environment: nothing for a plain cluster, SASL with the
password from a file, and errors that name the variable."""
import pytest

from checkpoint.wire.settings import KafkaSettingsError, kafka_security


def test_a_plain_cluster_needs_no_settings(monkeypatch):
    monkeypatch.delenv("KAKOU_KAFKA_SECURITY_PROTOCOL", raising=False)
    assert kafka_security() == {}


def test_sasl_reads_the_password_from_its_file(monkeypatch, tmp_path):
    (tmp_path / "pw").write_text("s3cret\n")
    monkeypatch.setenv("KAKOU_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
    monkeypatch.setenv("KAKOU_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("KAKOU_KAFKA_USERNAME", "edge-17")
    monkeypatch.setenv("KAKOU_KAFKA_PASSWORD_FILE", str(tmp_path / "pw"))
    monkeypatch.setenv("KAKOU_KAFKA_CA_FILE", "/etc/kakou/ca.pem")
    assert kafka_security() == {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-256",
                                "sasl_plain_username": "edge-17", "sasl_plain_password": "s3cret",
                                "ssl_cafile": "/etc/kakou/ca.pem"}


@pytest.mark.parametrize("env,variable", [
    ({"KAKOU_KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAKOU_KAFKA_SECURITY_PROTOCOL"),
    ({"KAKOU_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAKOU_KAFKA_SASL_MECHANISM": "GSSAPI"},
     "KAKOU_KAFKA_SASL_MECHANISM"),
    ({"KAKOU_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "KAKOU_KAFKA_USERNAME"),
    ({"KAKOU_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAKOU_KAFKA_USERNAME": "u",
      "KAKOU_KAFKA_PASSWORD_FILE": "/no/such/file"}, "KAKOU_KAFKA_PASSWORD_FILE")])
def test_unusable_settings_name_their_variable(monkeypatch, env, variable):
    for name in ("KAKOU_KAFKA_USERNAME", "KAKOU_KAFKA_PASSWORD_FILE", "KAKOU_KAFKA_SASL_MECHANISM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(KafkaSettingsError, match=variable):
        kafka_security()
