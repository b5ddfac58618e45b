"""Login and TLS against a real mosquitto: clear errors, never tracebacks."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from edge_app.mqtt import MqttSink, check_broker
from tests.edge_app.mqtt.helpers import Broker, Listener, event, make_config, wait_until

BASE = "epam/epam_edge"
MakeSink = Callable[..., MqttSink]


def _password_line(user: str, password: str) -> str:
    """A mosquitto 2 password-file line (PBKDF2-SHA512, what mosquitto_passwd writes)."""
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101, 64)
    return f"{user}:$7$101${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@pytest.fixture()
def auth_broker(make_broker: Callable[..., Broker], tmp_path: Path) -> Broker:
    pw = tmp_path / "passwd"
    pw.write_text(_password_line("alice", "correct horse") + "\n")
    return make_broker(f"password_file {pw}\nallow_anonymous false", name="auth")


def test_wrong_password_gives_a_clear_error(
        auth_broker: Broker, make_sink: MakeSink, caplog: pytest.LogCaptureFixture) -> None:
    cfg = make_config(auth_broker, user="alice", password="wrong")
    problem = check_broker(cfg, timeout=3)
    assert problem is not None
    assert "refused the login: bad user name or password (mqtt.user / mqtt.password)" \
        in problem
    with caplog.at_level(logging.DEBUG, logger="edge_app.mqtt"):
        sink = make_sink(cfg)
        sink.on_event(event("new", "kept"))
        assert wait_until(lambda: sink.last_error is not None, 3)
        time.sleep(1.5)  # at least one retry
    assert "bad user name or password" in (sink.last_error or "")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, "the same failure is logged once, not at every retry"
    assert "refused the login: bad user name or password (mqtt.user / mqtt.password)" \
        in errors[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    assert not sink.connected and sink.outbox_pending == 2  # the alert is kept


def test_right_password_connects(auth_broker: Broker, make_sink: MakeSink,
                                 make_listener: Callable[..., Listener]) -> None:
    cfg = make_config(auth_broker, user="alice", password="correct horse")
    assert check_broker(cfg, timeout=3) is None
    sink = make_sink(cfg)
    assert wait_until(lambda: sink.connected, 3)
    assert sink.last_error is None


def test_missing_login_is_explained(auth_broker: Broker) -> None:
    problem = check_broker(make_config(auth_broker), timeout=3)
    assert problem is not None and "requires a user name and password" in problem


def test_unreachable_broker_is_explained() -> None:
    problem = check_broker(make_config(None), timeout=2)
    assert problem is not None
    assert "refused the connection" in problem and "mqtt.host / mqtt.port" in problem
    problem = check_broker(make_config(None, host="no-such-host.invalid"), timeout=2)
    assert problem is not None and "cannot resolve mqtt.host" in problem


# ---------------------------------------------------------------------- TLS


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_ca(d: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2",
             "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def _make_leaf(d: Path, ca: str, name: str, ext: str) -> None:
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
    (d / f"{name}.ext").write_text(ext)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext",
             cwd=d)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA, a server certificate for 127.0.0.1, a client certificate, and
    an unrelated CA; made with the openssl CLI."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    d = tmp_path_factory.mktemp("certs")
    _make_ca(d, "ca")
    _make_ca(d, "other_ca")
    _make_leaf(d, "ca", "server", "subjectAltName=IP:127.0.0.1\n"
               "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    _make_leaf(d, "ca", "client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    _make_leaf(d, "other_ca", "stranger", "basicConstraints=CA:FALSE\n"
               "extendedKeyUsage=clientAuth\n")
    return d


@pytest.fixture()
def tls_broker(make_broker: Callable[..., Broker], certs: Path) -> Broker:
    return make_broker(f"cafile {certs / 'ca.crt'}\ncertfile {certs / 'server.crt'}\n"
                       f"keyfile {certs / 'server.key'}\nrequire_certificate true",
                       name="tls")


def _tls(certs: Path, ca: str = "ca", client: str | None = "client") -> dict[str, object]:
    kw: dict[str, object] = {"tls_ca_certs": str(certs / f"{ca}.crt")}
    if client:
        kw.update(tls_client_cert=str(certs / f"{client}.crt"),
                  tls_client_key=str(certs / f"{client}.key"))
    return kw


def test_tls_with_a_test_ca_and_client_certificate(
        tls_broker: Broker, certs: Path, make_sink: MakeSink) -> None:
    cfg = make_config(tls_broker, **_tls(certs))
    assert check_broker(cfg, timeout=3) is None
    sink = make_sink(cfg)
    assert wait_until(lambda: sink.connected, 3)
    sink.on_event(event("new", "tls-1"))
    assert wait_until(lambda: sink.outbox_pending == 0, 3)  # acknowledged over TLS


def test_tls_untrusted_broker_certificate(tls_broker: Broker, certs: Path) -> None:
    problem = check_broker(make_config(tls_broker, **_tls(certs, ca="other_ca")), timeout=3)
    assert problem is not None
    assert problem.startswith("TLS failure") and "mqtt.tls_ca_certs" in problem


def test_tls_insecure_only_when_asked(tls_broker: Broker, certs: Path) -> None:
    cfg = make_config(tls_broker, tls_insecure=True, **_tls(certs, ca="other_ca"))
    assert check_broker(cfg, timeout=3) is None


def test_tls_hostname_is_checked(tls_broker: Broker, certs: Path) -> None:
    cfg = make_config(tls_broker, **_tls(certs))
    cfg.mqtt.host = "localhost"  # the certificate names only 127.0.0.1
    problem = check_broker(cfg, timeout=3)
    assert problem is not None and "does not name 'localhost'" in problem


def test_tls_client_certificate_required_or_rejected(tls_broker: Broker, certs: Path) -> None:
    problem = check_broker(make_config(tls_broker, **_tls(certs, client=None)), timeout=3)
    assert problem is not None and "client certificate" in problem
    problem = check_broker(make_config(tls_broker, **_tls(certs, client="stranger")),
                           timeout=3)
    assert problem is not None and "rejected the client certificate" in problem


def test_tls_and_plain_ports_mixed_up(tls_broker: Broker, broker: Broker, certs: Path) -> None:
    problem = check_broker(make_config(tls_broker), timeout=3)  # plain client, TLS port
    assert problem is not None and "expect TLS" in problem
    problem = check_broker(make_config(broker, **_tls(certs)), timeout=3)  # TLS, plain port
    assert problem is not None and "not speak TLS" in problem


def test_missing_tls_file_is_logged_not_raised(
        broker: Broker, make_sink: MakeSink, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    cfg = make_config(broker, tls_ca_certs=str(tmp_path / "nope.crt"))
    with caplog.at_level(logging.ERROR, logger="edge_app.mqtt"):
        sink = make_sink(cfg)
        sink.on_event(event("new", "kept"))
    assert "mqtt.tls_ca_certs: file" in caplog.text and "does not exist" in caplog.text
    assert sink.outbox_pending == 2 and not sink.connected
    assert "does not exist" in (check_broker(cfg) or "")


def test_sink_tls_failure_is_logged_and_retried(
        tls_broker: Broker, certs: Path, make_sink: MakeSink,
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="edge_app.mqtt"):
        sink = make_sink(make_config(tls_broker, **_tls(certs, ca="other_ca")))
        assert wait_until(lambda: sink.last_error is not None, 3)
    assert (sink.last_error or "").startswith("TLS failure")
    assert "is not trusted" in caplog.text and not any(r.exc_info for r in caplog.records)
    assert not sink.connected
