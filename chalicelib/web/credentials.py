"""What the local server keeps in its data directory between starts, readable by its owner
only (mode 0600): the admin key (``admin-key``) and, for ``serve --tls`` without a given
certificate, a self-signed certificate and its private key (``tls/``)."""
from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

MIN_KEY_LENGTH = 16
KEY_FILE = "admin-key"
TLS_DIR = "tls"
CERT_DAYS = 825    # the longest validity browsers accept for a certificate


@dataclass(frozen=True)
class AdminKey:
    value: str
    source: str      # "GARDEN_ADMIN_KEY", or the file it was read from or written to


def check_key(key: str, name: str = "GARDEN_ADMIN_KEY") -> str:
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(f"{name} is {len(key)} characters long; an admin key needs at least "
                          f"{MIN_KEY_LENGTH} (or unset it and one is made and kept for you)")
    if not key.isprintable() or not key.isascii() or " " in key:
        raise ConfigError(f"{name} must be printable ASCII without spaces (it travels in a header)")
    return key


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner may read, atomically: never a half-written secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _private(path: Path) -> None:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def admin_key(configured: str | None, data_dir: Path) -> AdminKey:
    """The configured key (checked), else the one kept in ``data_dir``, else a new one kept
    there: the same key on every start, so an open operator desk stays signed in."""
    if configured is not None:
        return AdminKey(check_key(configured), "GARDEN_ADMIN_KEY")
    path = data_dir / KEY_FILE
    if path.is_file():
        _private(path)
        return AdminKey(check_key(path.read_text(encoding="ascii", errors="replace").strip(),
                                  f"the admin key in {path}"), str(path))
    key = secrets.token_urlsafe(24)
    _write_private(path, key.encode("ascii") + b"\n")
    return AdminKey(key, str(path))


@dataclass(frozen=True)
class Certificate:
    certificate: Path
    key: Path
    fingerprint: str     # SHA-256 of the certificate (DER), colon-separated hex
    made: bool           # made now (self-signed), not given or kept from before


def fingerprint(pem: bytes) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def given_certificate(certificate: Path, key: Path) -> Certificate:
    for path, what in ((certificate, "certificate"), (key, "key")):
        if not path.is_file():
            raise ConfigError(f"the TLS {what} {path} does not exist")
    try:
        return Certificate(certificate, key, fingerprint(certificate.read_bytes()), made=False)
    except ValueError:
        raise ConfigError(f"{certificate} is not a PEM certificate") from None


def self_signed(data_dir: Path, hosts: list[str]) -> Certificate:
    """The certificate kept in ``data_dir/tls`` (made on first use, for ``hosts`` and
    localhost), with its private key."""
    folder = data_dir / TLS_DIR
    cert_path, key_path = folder / "certificate.pem", folder / "key.pem"
    if cert_path.is_file() and key_path.is_file():
        _private(key_path)
        return Certificate(cert_path, key_path, fingerprint(cert_path.read_bytes()), made=False)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(["localhost", "127.0.0.1", "::1", *hosts]):
        if host in ("", "0.0.0.0", "::"):
            continue
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Emotion Garden (self-signed)")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    _write_private(cert_path, pem)
    return Certificate(cert_path, key_path, fingerprint(pem), made=True)
