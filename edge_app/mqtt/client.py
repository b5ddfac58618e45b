"""Building the paho client (auth, TLS, last will) and explaining connection failures.

Everything here turns ``mqtt.*`` config into a ready ``paho.mqtt.client.Client`` (v2
callback API, MQTT 3.1.1) and every way a connection can fail into one line a person can
act on, naming the config key to change. Used by the sink and by the ``doctor`` /
``clear-discovery`` commands, so both say the same thing.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from edge_app.config import MqttConfig

__all__ = [
    "MqttClient",
    "MqttSetupError",
    "build_client",
    "describe_closed",
    "describe_connack",
    "describe_error",
    "uses_tls",
]

OFFLINE = "offline"

log = logging.getLogger(__name__)


class MqttSetupError(RuntimeError):
    """The client cannot be built from the config (missing or unreadable TLS files)."""


class MqttClient(mqtt.Client):
    """paho's client that remembers why the last connection attempt failed.

    paho's background loop swallows the ``OSError`` of a failed (re)connect and only
    calls ``on_connect_fail``; ``last_error`` keeps it so the failure can be explained.
    """

    last_error: BaseException | None = None
    # The last error paho logged (e.g. a TLS alert while reading), reset on reconnect.
    last_log_error: str | None = None

    def reconnect(self) -> MQTTErrorCode:
        self.last_log_error = None
        try:
            rc = super().reconnect()
        except OSError as exc:
            self.last_error = exc
            raise
        self.last_error = None
        return rc


def _remember_errors(client: mqtt.Client, userdata: Any, level: int, buf: str) -> None:
    if level != mqtt.MQTT_LOG_ERR:
        return
    if buf.startswith("Caught exception"):  # one of our callbacks failed: say so, go on
        log.error("MQTT callback failed: %s", buf)
    elif isinstance(client, MqttClient):
        client.last_log_error = buf


def uses_tls(cfg: MqttConfig) -> bool:
    """TLS is on when asked (``mqtt.tls``) or when a CA or client certificate is set."""
    return bool(cfg.tls or cfg.tls_ca_certs or cfg.tls_client_cert)


def _tls_context(cfg: MqttConfig) -> ssl.SSLContext:
    for key in ("tls_ca_certs", "tls_client_cert", "tls_client_key"):
        path = getattr(cfg, key)
        if path and not os.path.isfile(os.path.expanduser(path)):
            raise MqttSetupError(f"mqtt.{key}: file {path} does not exist")
    try:
        ctx = ssl.create_default_context(
            cafile=os.path.expanduser(cfg.tls_ca_certs) if cfg.tls_ca_certs else None)
    except (ssl.SSLError, OSError) as exc:
        raise MqttSetupError(f"mqtt.tls_ca_certs: cannot read {cfg.tls_ca_certs} as PEM "
                             f"CA certificates: {exc}") from None
    if cfg.tls_client_cert:
        try:
            ctx.load_cert_chain(os.path.expanduser(cfg.tls_client_cert),
                                os.path.expanduser(cfg.tls_client_key))
        except (ssl.SSLError, OSError) as exc:
            raise MqttSetupError(
                f"mqtt.tls_client_cert / mqtt.tls_client_key: cannot load "
                f"{cfg.tls_client_cert} with {cfg.tls_client_key} (PEM certificate and its "
                f"unencrypted private key): {exc}") from None
    if cfg.tls_insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def build_client(cfg: MqttConfig, *, client_id: str, will_topic: str | None = None,
                 userdata: Any = None) -> MqttClient:
    """A configured, unconnected client.

    ``will_topic``: retained ``offline`` last will (QoS 1) the broker publishes if the
    connection dies without a clean disconnect. Raises ``MqttSetupError``.
    """
    client = MqttClient(CallbackAPIVersion.VERSION2, client_id=client_id,
                        protocol=mqtt.MQTTv311, clean_session=True, userdata=userdata)
    if cfg.user:
        client.username_pw_set(cfg.user, cfg.password or None)
    if uses_tls(cfg):
        client.tls_set_context(_tls_context(cfg))
        if cfg.tls_insecure:
            client.tls_insecure_set(True)
    client.on_log = _remember_errors
    client.suppress_exceptions = True  # a failing callback must not stop the network loop
    if will_topic:
        client.will_set(will_topic, OFFLINE, qos=1, retain=True)
    client.reconnect_delay_set(min_delay=cfg.reconnect_min_s,
                               max_delay=max(cfg.reconnect_min_s, cfg.reconnect_max_s))
    return client


def _where(cfg: MqttConfig) -> str:
    return f"{cfg.host}:{cfg.port}"


def describe_connack(reason: ReasonCode | int, cfg: MqttConfig) -> str:
    """One line for a refused CONNACK (MQTT 5 reason code; 3.1.1 codes are mapped)."""
    value = reason if isinstance(reason, int) else reason.value
    name = str(reason) if isinstance(reason, ReasonCode) else f"code {value}"
    if value in (134, 135, 4, 5):
        if not cfg.user:
            return (f"MQTT broker {_where(cfg)} refused the login: it requires a user name "
                    "and password (set mqtt.user and mqtt.password, e.g. "
                    "password: ${MQTT_PASSWORD})")
        return (f"MQTT broker {_where(cfg)} refused the login: bad user name or password "
                f"(mqtt.user / mqtt.password), or user '{cfg.user}' is not allowed to "
                "connect; check the password in the environment variable the config names")
    if value in (133, 2):
        return (f"MQTT broker {_where(cfg)} rejected the client id: set another "
                "mqtt.client_id (each device needs its own)")
    if value in (132, 1):
        return (f"MQTT broker {_where(cfg)} does not speak MQTT 3.1.1: upgrade the broker")
    if value in (136, 137, 3):
        return f"MQTT broker {_where(cfg)} is unavailable or busy ({name}): try again later"
    if value == 138:
        return f"MQTT broker {_where(cfg)} has banned this client: check the broker's config"
    return f"MQTT broker {_where(cfg)} refused the connection ({name})"


def describe_closed(cfg: MqttConfig, detail: str | None = None) -> str:
    """One line for a broker that closed the connection before its CONNACK; ``detail`` is
    what paho logged (a TLS alert, a reset)."""
    where = _where(cfg)
    low = (detail or "").lower()
    if "certificate required" in low or "certificate_required" in low:
        return (f"TLS failure with {where}: the broker requires a client certificate; set "
                "mqtt.tls_client_cert and mqtt.tls_client_key")
    if "unknown ca" in low or "bad certificate" in low or "certificate unknown" in low or \
            "decrypt" in low:
        return (f"TLS failure with {where}: the broker rejected the client certificate "
                f"({detail}); use a certificate signed by the broker's CA "
                "(mqtt.tls_client_cert / mqtt.tls_client_key)")
    if cfg.tls_client_cert and ("eof" in low or "reset" in low or not low):
        return (f"TLS failure with {where}: the broker closed the connection right after the "
                "TLS handshake, most likely because it rejected the client certificate; is "
                "mqtt.tls_client_cert signed by the CA the broker trusts?")
    if not uses_tls(cfg):
        return (f"MQTT broker {where} closed the connection before answering: does this port "
                "expect TLS? set mqtt.tls_ca_certs (or mqtt.tls=true), or use the plain port "
                "(often 1883)")
    suffix = f" ({detail})" if detail else ""
    return (f"MQTT broker {where} closed the connection before answering{suffix}: check the "
            "broker's log (TLS settings, client certificate, max connections)")


def describe_error(exc: BaseException, cfg: MqttConfig) -> str:
    """One line for an exception raised while connecting (socket, DNS, TLS)."""
    where = _where(cfg)
    if isinstance(exc, MqttSetupError):
        return str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or str(exc)
        if "hostname" in detail.lower() or "ip address mismatch" in detail.lower():
            return (f"TLS failure with {where}: the broker's certificate does not name "
                    f"'{cfg.host}' ({detail}); connect by a name in the certificate, or set "
                    "mqtt.tls_insecure=true only for testing")
        return (f"TLS failure with {where}: the broker's certificate is not trusted "
                f"({detail}); set mqtt.tls_ca_certs to the CA that signed it "
                "(mqtt.tls_insecure=true skips the check: testing only)")
    if isinstance(exc, ssl.SSLError):
        text = str(exc)
        low = text.lower()
        if "wrong version number" in low or "record layer" in low or "unknown protocol" in low:
            return (f"TLS failure with {where}: the port does not speak TLS; use the broker's "
                    "TLS port (often 8883) or turn TLS off (remove mqtt.tls*)")
        if "certificate required" in low or "handshake failure" in low or "bad certificate" \
                in low or "unknown ca" in low:
            return (f"TLS failure with {where}: the broker rejected the client certificate "
                    f"({exc.reason or text}); set mqtt.tls_client_cert and mqtt.tls_client_key "
                    "to a certificate the broker's CA signed")
        return f"TLS failure with {where}: {exc.reason or text}"
    if isinstance(exc, ConnectionRefusedError):
        return (f"MQTT broker {where} refused the connection (nothing listens there): start "
                "the broker, or fix mqtt.host / mqtt.port")
    if isinstance(exc, socket.gaierror):
        return (f"cannot resolve mqtt.host '{cfg.host}' ({exc.strerror}): check the name or "
                "use the broker's IP address")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return (f"MQTT broker {where} is unreachable: no answer in time; check mqtt.host / "
                "mqtt.port, the network and firewalls")
    if isinstance(exc, ConnectionResetError | BrokenPipeError | EOFError):
        if uses_tls(cfg):  # raised while connecting = during the TLS handshake
            return (f"TLS failure with {where}: the broker closed the connection during the "
                    "TLS handshake; the port may not speak TLS (use the broker's TLS port, "
                    "often 8883, or turn TLS off by removing mqtt.tls*)")
        return describe_closed(cfg, str(exc) or None)
    if isinstance(exc, OSError):
        return (f"MQTT broker {where} is unreachable ({exc.strerror or exc}): check mqtt.host "
                "/ mqtt.port and the network")
    return f"cannot connect to MQTT broker {where}: {type(exc).__name__}: {exc}"
