"""Deployment: docker-compose services, production settings, DATABASE_URL."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from guazhi.settings import database_from_url

BASE_DIR = Path(settings.BASE_DIR)


def test_docker_compose_has_database_redis_web_worker_and_beat():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat"} <= set(services)
    assert "postgres" in services["db"]["image"]
    assert "redis" in services["redis"]["image"]
    assert "celery" in str(services["worker"]["command"])
    assert "worker" in str(services["worker"]["command"])
    assert "beat" in str(services["beat"]["command"])


def _production_env(**extra) -> dict:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUAZHI_", "SECURE_"))
    }
    env.update(
        GUAZHI_PRODUCTION="1",
        DJANGO_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(60)),
        DJANGO_ALLOWED_HOSTS="guazhi.example.gov.cn",
        DJANGO_SETTINGS_MODULE="guazhi.settings",
    )
    env.update(extra)
    return env


def _manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_in_production_mode():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=_production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_mode_refuses_a_missing_secret_key():
    result = _manage("check", env=_production_env(DJANGO_SECRET_KEY=""))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_database_url_becomes_a_postgresql_config_with_persistent_connections():
    config = database_from_url(
        "postgres://guazhi:s%40cret@db.example:6543/guazhi_prod?sslmode=require"
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "guazhi_prod"
    assert config["USER"] == "guazhi"
    assert config["PASSWORD"] == "s@cret"
    assert config["HOST"] == "db.example"
    assert config["PORT"] == "6543"
    assert config["OPTIONS"] == {"sslmode": "require"}
    assert config["CONN_MAX_AGE"] > 0
    assert config["CONN_HEALTH_CHECKS"] is True


def test_database_url_accepts_the_postgresql_scheme_without_a_password():
    config = database_from_url("postgresql://postgres@127.0.0.1/guazhi")
    assert (config["USER"], config["PASSWORD"], config["PORT"]) == ("postgres", "", "")


def test_database_url_refuses_other_databases():
    with pytest.raises(ImproperlyConfigured):
        database_from_url("mysql://root@localhost/guazhi")
