"""MQTT credentials and TLS come from the administrator's JUNKAN_SENSING_AUTH file: a live
line connects to a mosquitto that wants TLS (our CA), a client certificate and a password
(its own listener on a free port, passwd file made by mosquitto_passwd), is refused with a
wrong password, and the settings file is checked (private mode, fields, TLS only for
mqtts://) with errors naming the file and field."""

from __future__ import annotations

import datetime as dt
import getpass
import ipaddress
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from junkan import sensing
from junkan.sensing.brokerauth import ENV as AUTH_ENV
from junkan.sensing.brokerauth import AuthError, broker_auth
from junkan.sensing.sources import ENV, LineSource, endpoint
from tests.waiting import wait_until

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PASSWD = shutil.which("mosquitto_passwd")




def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pki(d: Path) -> None:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (EC P-256)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def cert(name: str, key: object, issuer: object, ikey: object, ca: bool) -> object:
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer)
            .public_key(key.public_key())  # type: ignore[attr-defined]
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            ip = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
            b = b.add_extension(x509.SubjectAlternativeName([ip]), critical=False)
        return b.sign(ikey, hashes.SHA256())  # type: ignore[arg-type]

    def write(name: str, key: object, crt: object) -> None:
        pem = serialization.Encoding.PEM
        (d / f"{name}.pem").write_bytes(crt.public_bytes(pem))  # type: ignore[attr-defined]
        kb = key.private_bytes(  # type: ignore[attr-defined]
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (d / f"{name}.key").write_bytes(kb)
        (d / f"{name}.key").chmod(0o600)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "junkan test CA")])
    write("ca", ca_key, cert("junkan test CA", ca_key, ca_name, ca_key, True))
    for name in ("server", "client"):
        k = ec.generate_private_key(ec.SECP256R1())
        write(name, k, cert(name, k, ca_name, ca_key, False))


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[str]:
    """mosquitto on a free loopback port: TLS with our CA, client certificate required,
    user ``line`` with password ``s3cret``, no anonymous access."""
    if not Path(MOSQUITTO).exists() or PASSWD is None:
        pytest.skip("mosquitto and mosquitto_passwd not installed (.ci/services.sh installs them)")
    _pki(tmp_path)
    passwd = tmp_path / "passwd"
    subprocess.run([PASSWD, "-c", "-b", str(passwd), "line", "s3cret"], check=True)
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"per_listener_settings true\nlistener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {passwd}\ncafile {tmp_path / 'ca.pem'}\n"
        f"certfile {tmp_path / 'server.pem'}\nkeyfile {tmp_path / 'server.key'}\n"
        "require_certificate true\npersistence false\n"
        f"user {getpass.getuser()}\n"  # as root, mosquitto would drop to its own user
    )
    log = tmp_path / "mosquitto.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stderr=err)
    try:
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                pytest.fail(f"mosquitto did not start: {log.read_text()[-500:]}")
            time.sleep(0.05)
        yield f"mqtts://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(5)


def _auth_file(d: Path, url: str, password: str) -> Path:
    (d / "pw").write_text(password + "\n")
    (d / "pw").chmod(0o600)
    f = d / "auth.yaml"
    f.write_text(
        f"brokers:\n  - endpoint: {url}\n    username: line\n    password_file: {d / 'pw'}\n"
        f"    ca_file: {d / 'ca.pem'}\n    cert_file: {d / 'client.pem'}\n"
        f"    key_file: {d / 'client.key'}\n"
    )
    f.chmod(0o600)
    return f


@pytest.mark.slow
def test_tls_password_line_connects_and_a_wrong_password_is_refused(
    tls_broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: sensing.Models
) -> None:
    monkeypatch.setenv(ENV, tls_broker)
    monkeypatch.setenv(AUTH_ENV, str(_auth_file(tmp_path, tls_broker, "s3cret")))
    hub = sensing.Hub(tmp_path / "hub")
    spec = {"line": {"id": "S1"}, "source": {"kind": "mqtt", "url": tls_broker}}
    try:
        live = hub.connect("o1", LineSource.model_validate(spec), models)
        wait_until(lambda: live.status == "connected", timeout=15.0)
        _auth_file(tmp_path, tls_broker, "wrong")
        spec2 = {**spec, "line": {"id": "S2"}}
        bad = hub.connect("o1", LineSource.model_validate(spec2), models)
        wait_until(lambda: bad.status.startswith("refused by the broker"), timeout=15.0)
        assert live.status == "connected"
        kept = (tmp_path / "hub" / "lines.json").read_text()
        assert "s3cret" not in kept and "wrong" not in kept and "client.key" not in kept
    finally:
        hub.close()


def test_settings_file_is_checked(tmp_path: Path) -> None:
    ep, _ = endpoint("mqtts://broker.plant:8883")
    f = tmp_path / "auth.yaml"
    f.write_text("brokers:\n  - endpoint: mqtts://broker.plant:8883\n    username: u\n")
    f.chmod(0o644)
    with pytest.raises(AuthError, match="chmod 600"):
        broker_auth(ep, str(f))
    f.chmod(0o600)
    a = broker_auth(ep, str(f))
    assert a is not None and a.username == "u" and a.tls is not None and "u" in repr(a)
    plain, _ = endpoint("mqtt://10.1.2.3")
    assert broker_auth(plain, str(f)) is None  # no entry, no TLS: plain MQTT
    f.write_text("brokers:\n  - endpoint: mqtt://10.1.2.3:1883\n    ca_file: /x.pem\n")
    with pytest.raises(AuthError, match=r"brokers\[0\]: TLS files need an mqtts://"):
        broker_auth(plain, str(f))
    f.write_text("brokers:\n  - endpoint: mqtt://10.1.2.3:1883\n    pasword: x\n")
    with pytest.raises(AuthError, match=r"brokers\.0\.pasword"):
        broker_auth(plain, str(f))
    f.write_text("brokers:\n  - endpoint: mqtts://broker.plant:8883\n    ca_file: /nonexistent\n")
    with pytest.raises(AuthError, match=r"brokers\[0\]\.ca_file /nonexistent"):
        broker_auth(ep, str(f))


def test_a_password_written_like_a_word_yaml_1_1_took_for_a_boolean_stays_text(
        tmp_path: Path) -> None:
    """The file was read as YAML 1.1: a password written on, yes or n became a boolean and
    was refused as not text; it is the text it looks like (as every junkan document)."""
    from junkan.sensing.brokerauth import _read

    f = tmp_path / "auth.yaml"
    f.write_text("brokers:\n- {endpoint: 'mqtt://127.0.0.1:1883', username: plant, "
                 "password: yes}\n", "utf-8")
    f.chmod(0o600)
    assert _read(f).brokers[0].password == "yes"
