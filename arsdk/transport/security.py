"""CURVE encryption with client authentication (``zmq.auth``): ``arsdk keys generate DIR`` makes

    DIR/server.key_secret, DIR/server.key        the publisher's key pair
    DIR/client.key_secret, DIR/client.key        a subscriber's key pair
    DIR/allowed_clients/client.key               public keys the publisher accepts

A subscriber whose public key is not in ``allowed_clients`` (or that does not use CURVE) receives nothing.
Secret key files are written readable by their owner only (0600), and a secret key that others can read
is refused, as ssh refuses such a private key.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from ..errors import ConfigError

__all__ = ["generate_keys", "server_curve", "client_curve"]


def generate_keys(folder: str | Path, clients: tuple[str, ...] = ("client",)) -> Path:
    """Create a server key pair, client key pairs and the allow-list in ``folder``."""
    folder = Path(folder)
    allowed = folder / "allowed_clients"
    allowed.mkdir(parents=True, exist_ok=True)
    previous = os.umask(0o077)  # the secret files exist readable by others not even for a moment
    try:
        _, secret = zmq.auth.create_certificates(str(folder), "server")
        _owner_only(Path(secret))
        for name in clients:
            public, secret = zmq.auth.create_certificates(str(folder), name)
            _owner_only(Path(secret))
            shutil.copy(public, allowed / Path(public).name)
            os.chmod(allowed / Path(public).name, 0o644)
            os.chmod(public, 0o644)
    finally:
        os.umask(previous)
    os.chmod(folder / "server.key", 0o644)
    return folder


def _owner_only(path: Path) -> None:
    if sys.platform != "win32":
        os.chmod(path, 0o600)


def _check_private(path: Path) -> None:
    """Refuse a secret key that users other than its owner can read or write."""
    if sys.platform == "win32":  # pragma: no cover - POSIX permissions only
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path} is readable by other users (permissions {mode:04o}): a secret key must be private; "
                          f"run 'chmod 600 {path}' (or create new keys with 'arsdk keys generate')")  # fmt: skip


def _load(path: Path, secret: bool) -> tuple[bytes, bytes | None]:
    if not path.is_file():
        raise ConfigError(f"{path} is missing: create keys with 'arsdk keys generate {path.parent}'")
    if secret:
        _check_private(path)
    public, secret_key = zmq.auth.load_certificate(str(path))
    if secret and secret_key is None:
        raise ConfigError(f"{path} holds no secret key")
    return public, secret_key


def server_curve(context: zmq.Context, socket: zmq.Socket, folder: Path) -> ThreadAuthenticator:
    """Make ``socket`` a CURVE server that accepts only the allow-listed clients; returns the authenticator."""
    public, secret = _load(folder / "server.key_secret", secret=True)
    allowed = folder / "allowed_clients"
    if not allowed.is_dir():
        raise ConfigError(f"{allowed} is missing: create keys with 'arsdk keys generate {folder}'")
    authenticator = ThreadAuthenticator(context)
    authenticator.start()
    authenticator.configure_curve(domain="*", location=str(allowed))
    socket.curve_secretkey, socket.curve_publickey, socket.curve_server = secret, public, True
    return authenticator


def client_curve(socket: zmq.Socket, folder: Path, name: str = "client") -> None:
    """Make ``socket`` a CURVE client with key pair ``name`` that trusts the server's public key."""
    public, secret = _load(folder / f"{name}.key_secret", secret=True)
    server_public, _ = _load(folder / "server.key", secret=False)
    socket.curve_secretkey, socket.curve_publickey, socket.curve_serverkey = secret, public, server_public
