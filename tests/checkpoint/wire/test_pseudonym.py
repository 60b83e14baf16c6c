import hashlib
import hmac

import pytest

from checkpoint.wire.pseudonym import (
    PseudonymError, PseudonymKey, load_key, normalise_number, subject_tag,
)

KEY = PseudonymKey("k1", b"0123456789abcdef-test-secret")


def test_tag_is_the_design_hmac_truncated_to_128_bits():
    expected = hmac.new(KEY.secret, b"cn-resident-id|v1|11010119900307777X",
                        hashlib.sha256).hexdigest()[:32]
    assert subject_tag("cn-resident-id", "110101 19900307 777x", KEY) == expected
    assert len(expected) == 32


def test_same_document_tags_alike_whatever_the_separators():
    assert normalise_number(" l898902c<3 ") == "L898902C3"
    assert subject_tag("icao-td3", "L898902C3", KEY) == subject_tag("icao-td3", "l89-890.2c3", KEY)


def test_tag_depends_on_document_type_and_key():
    base = subject_tag("icao-td3", "L898902C3", KEY)
    assert subject_tag("icao-td1", "L898902C3", KEY) != base
    assert subject_tag("icao-td3", "L898902C3", PseudonymKey("k2", b"another-secret-of-16b")) != base


@pytest.mark.parametrize("number", ["", "12", "1234567890123456789012", "ABC$%123"])
def test_unusable_numbers_are_refused_without_echoing_them(number):
    with pytest.raises(PseudonymError) as err:
        subject_tag("cn-resident-id", number, KEY)
    assert number not in str(err.value) or not number


def test_unknown_document_type_is_refused():
    with pytest.raises(ValueError):
        subject_tag("library-card", "L898902C3", KEY)


def test_key_from_file_or_environment_never_in_repr(tmp_path):
    secret = tmp_path / "id.key"
    secret.write_bytes(b"file-secret-0123456789\n")
    key = load_key({"KAKOU_ID_KEY_FILE": str(secret), "KAKOU_ID_KEY_ID": "jinan-2026"})
    assert key == PseudonymKey("jinan-2026", b"file-secret-0123456789")
    assert "file-secret" not in repr(key)
    assert load_key({"KAKOU_ID_KEY": "env-secret-0123456789"}).key_id == "k1"


@pytest.mark.parametrize("env, message", [
    ({}, "no pseudonymisation key"),
    ({"KAKOU_ID_KEY": "short"}, "at least 16 bytes"),
    ({"KAKOU_ID_KEY_FILE": "/nonexistent/key"}, "cannot read"),
])
def test_missing_or_weak_key_is_a_clear_error(env, message):
    with pytest.raises(PseudonymError, match=message):
        load_key(env)
