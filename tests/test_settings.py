"""Production settings refuse to start misconfigured, and pass `check --deploy` when configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "x" * 20 + "-production-secret-key-with-enough-entropy-0123456789"
GOOD_AUDIT_KEY = "audit-" + "k" * 40
# What production needs besides the secret key: Twilio's token and the public address.
PRODUCTION = {
    "CASECENTER_ENV": "production",
    "SECRET_KEY": GOOD_SECRET,
    "ALLOWED_HOSTS": "hotline.example.gov.cn",
    "TWILIO_AUTH_TOKEN": "a-real-twilio-auth-token",
    "PUBLIC_BASE_URL": "https://hotline.example.gov.cn",
    "AUDIT_KEY": GOOD_AUDIT_KEY,
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "CASECENTER_ENV",
            "TWILIO_AUTH_TOKEN",
            "PUBLIC_BASE_URL",
            "PORT",
            "CAPTCHA_TEST_MODE",
            "AUDIT_KEY",
            "PYTEST_XDIST_WORKER",  # the settings of an installation, not of a parallel test process
        }
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_debug_on():
    result = run_manage("check", CASECENTER_ENV="production", DEBUG="1", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "refuse to start with DEBUG on" in result.stderr


def test_production_refuses_missing_secret_key():
    result = run_manage("check", CASECENTER_ENV="production", ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("audit_key", ["", "short-key"])
def test_production_refuses_an_empty_or_short_audit_key_naming_the_variable(audit_key):
    result = run_manage(
        "check", CASECENTER_ENV="production", SECRET_KEY=GOOD_SECRET, AUDIT_KEY=audit_key, ALLOWED_HOSTS="x"
    )
    assert result.returncode != 0
    assert "Production settings need AUDIT_KEY (32+ random characters)." in result.stderr


def test_production_check_deploy_is_clean():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("token", ["", "   "])
def test_production_refuses_an_empty_twilio_auth_token(token):
    result = run_manage("check", **{**PRODUCTION, "TWILIO_AUTH_TOKEN": token})
    assert result.returncode != 0
    assert "Production settings need TWILIO_AUTH_TOKEN" in result.stderr


def test_production_refuses_a_missing_twilio_auth_token():
    env = {k: v for k, v in PRODUCTION.items() if k != "TWILIO_AUTH_TOKEN"}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "Production settings need TWILIO_AUTH_TOKEN" in result.stderr


@pytest.mark.parametrize(
    "url", ["", "http://127.0.0.1:8000", "http://localhost:8822/", "https://LOCALHOST", "http://[::1]:8000"]
)
def test_production_refuses_a_local_or_missing_public_base_url(url):
    result = run_manage("check", **{**PRODUCTION, "PUBLIC_BASE_URL": url})
    assert result.returncode != 0
    assert "Production settings need PUBLIC_BASE_URL" in result.stderr


def test_production_refuses_captcha_test_mode():
    result = run_manage("check", **{**PRODUCTION, "CAPTCHA_TEST_MODE": "1"})
    assert result.returncode != 0
    assert "refuse CAPTCHA_TEST_MODE" in result.stderr


@pytest.mark.parametrize(("port", "expected"), [("", "http://127.0.0.1:8000"), ("8822", "http://127.0.0.1:8822")])
def test_development_public_base_url_follows_the_port(port, expected):
    env = {"PORT": port} if port else {}
    result = run_manage("shell", "-c", "from django.conf import settings; print(settings.PUBLIC_BASE_URL)", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_an_explicit_public_base_url_wins_over_the_port():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PUBLIC_BASE_URL)",
        PORT="8822",
        PUBLIC_BASE_URL="https://hotline.example.gov.cn/",
    )
    assert result.stdout.strip().splitlines()[-1] == "https://hotline.example.gov.cn"


def test_development_default_runs_on_sqlite_and_in_memory_layer():
    from django.conf import settings

    if not os.environ.get("DATABASE_URL"):
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    if not os.environ.get("REDIS_URL"):
        assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        (" Yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("False", False),
        ("no", False),
        (" OFF", False),
    ],
)
def test_env_bool_reads_the_documented_spellings(monkeypatch, raw, expected):
    from casecenter.settings import env_bool

    monkeypatch.setenv("CC_TEST_FLAG", raw)
    assert env_bool("CC_TEST_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_env_bool_falls_back_to_the_default_when_unset_or_empty(monkeypatch, raw):
    from casecenter.settings import env_bool

    if raw is None:
        monkeypatch.delenv("CC_TEST_FLAG", raising=False)
    else:
        monkeypatch.setenv("CC_TEST_FLAG", raw)
    assert env_bool("CC_TEST_FLAG", True) is True
    assert env_bool("CC_TEST_FLAG", False) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "ture", "y"])
def test_env_bool_refuses_a_value_it_does_not_understand_naming_the_variable(monkeypatch, raw):
    from casecenter.settings import env_bool

    monkeypatch.setenv("CC_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=f"CC_TEST_FLAG='{raw}' is not a boolean"):
        env_bool("CC_TEST_FLAG", False)


def test_an_unparseable_debug_stops_the_process_with_the_variable_in_the_message():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_an_unparseable_flag_stops_production_too():
    result = run_manage(
        "check",
        **PRODUCTION,
        SECURE_SSL_REDIRECT="yes please",
    )
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT='yes please' is not a boolean" in result.stderr


def test_a_bad_trusted_proxies_value_stops_the_process_naming_the_variable():
    result = run_manage("check", TRUSTED_PROXIES="10.0.0.0/8, proxy.internal")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES" in result.stderr and "proxy.internal" in result.stderr


def test_trusted_proxies_are_addresses_and_networks_from_the_environment():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.TRUSTED_PROXIES)",
        TRUSTED_PROXIES=" 10.0.0.1 ,192.168.1.0/24,,2001:db8::/32",
    )
    assert result.returncode == 0, result.stderr
    assert "('10.0.0.1/32', '192.168.1.0/24', '2001:db8::/32')" in result.stdout


@pytest.mark.parametrize("layer", ["pubsub", "core"])
@pytest.mark.parametrize(("prefix", "expected"), [("", "asgi"), ("cc-ws-run7", "cc-ws-run7")])
def test_the_channel_prefix_comes_from_the_environment_for_either_layer(layer, prefix, expected):
    # Pub/sub channels are not per database number: runs sharing a Redis keep apart by prefix.
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; from notifications import events; "
        "print(settings.CHANNEL_LAYERS['default']['CONFIG']['prefix'], events.direct_prefix())",
        REDIS_URL="redis://127.0.0.1:6379/5",
        CHANNEL_LAYER=layer,
        CASECENTER_CHANNEL_PREFIX=prefix,
    )
    assert result.returncode == 0, result.stderr
    direct = expected if layer == "pubsub" else "None"
    assert result.stdout.strip().splitlines()[-1] == f"{expected} {direct}"


@pytest.mark.parametrize(("raw", "expected"), [(None, 5), ("", 5), (" 0 ", 0), ("2", 2), ("OFF", None)])
def test_the_prepare_threshold_is_a_count_of_runs_or_off(monkeypatch, raw, expected):
    from casecenter.settings import env_prepare_threshold

    if raw is None:
        monkeypatch.delenv("CC_TEST_THRESHOLD", raising=False)
    else:
        monkeypatch.setenv("CC_TEST_THRESHOLD", raw)
    assert env_prepare_threshold("CC_TEST_THRESHOLD", 5) == expected


@pytest.mark.parametrize("raw", ["-1", "five", "none", "2.5"])
def test_a_prepare_threshold_it_does_not_understand_stops_naming_the_variable(monkeypatch, raw):
    from casecenter.settings import env_prepare_threshold

    monkeypatch.setenv("CC_TEST_THRESHOLD", raw)
    with pytest.raises(ImproperlyConfigured, match="CC_TEST_THRESHOLD"):
        env_prepare_threshold("CC_TEST_THRESHOLD", 5)


@pytest.mark.parametrize(("raw", "expected"), [("", "True 5"), ("1", "True 1"), ("off", "True None")])
def test_postgresql_binds_on_the_server_and_prepares_repeated_statements(raw, expected):
    # Read from the settings alone: nothing connects.
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; "
        "print(o['server_side_binding'], o['prepare_threshold'])",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing",
        DB_PREPARE_THRESHOLD=raw,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
