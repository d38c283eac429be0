"""The object store as a folder on disk (local mode). After each write or delete it hands an
S3-shaped notification to ``on_event`` — the same handler S3 invokes in AWS."""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config import request_origin
from ..errors import InvalidKey, ObjectNotFound, ServiceUnavailable
from ..rules.layout import check_safe
from ..rules.times import from_epoch
from . import ObjectStore, StoredObject, signing
from .events import next_sequencer, notification

log = logging.getLogger(__name__)
BUCKET = "local"


class FolderObjectStore:
    def __init__(self, root: Path, public_url: str,
                 on_event: Callable[[dict[str, Any]], None] | None = None,
                 signing_secret: bytes | None = None) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._public_url = public_url.rstrip("/")
        self._on_event = on_event
        self._order = threading.Lock()
        # signs presigned links; a fresh one per store (per server run) unless given
        self._secret = signing_secret or secrets.token_bytes(32)

    def path(self, key: str) -> Path:
        """The file behind a key; never a path outside the root."""
        check_safe(key)
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKey(f"{key!r} is outside the store")
        return path

    def put(self, key: str, data: bytes, content_type: str = "image/jpeg",
            metadata: Mapping[str, str] | None = None) -> None:
        # content type follows the suffix when served; provenance travels inside the JPEG.
        self._write(key, data, "ObjectCreated:Put")

    def _write(self, key: str, data: bytes, event_name: str) -> None:
        path = self.path(key)
        with self._order, unavailable("write"):  # a delete's pruning must not race this mkdir
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with unavailable("write"):
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                with self._order:  # the sequencer follows the order the files really changed in
                    os.replace(tmp, path)  # readers never see a half-written image
                    sequencer = next_sequencer()
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        # S3's ETag of a single-part upload: a checksum, not a security measure
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        self._emit(event_name, key, sequencer, len(data), etag)

    def get(self, key: str) -> bytes:
        try:
            with unavailable("read"):
                return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def head(self, key: str, length: int) -> bytes:
        try:
            with unavailable("read"), self.path(key).open("rb") as f:
                return f.read(length)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except InvalidKey:
            return False

    def delete(self, key: str) -> None:
        path = self.path(key)
        try:
            with self._order, unavailable("delete"):
                path.unlink()
                sequencer = next_sequencer()
                self._prune(path.parent)
        except (FileNotFoundError, IsADirectoryError):
            return  # like S3: deleting a missing key succeeds and sends no event here
        self._emit("ObjectRemoved:Delete", key, sequencer)

    def copy(self, source: str, destination: str) -> None:
        self._write(destination, self.get(source), "ObjectCreated:Copy")

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith(".tmp-"):
                    continue
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    stat = path.stat()
                    yield StoredObject(key, stat.st_size, from_epoch(stat.st_mtime))

    def url(self, key: str) -> str:
        """On the origin the request being served reached the server at (when the server
        accepted its Host for links: config.links_on), else on the public URL."""
        from urllib.parse import quote
        return f"{request_origin() or self._public_url}/{quote(key)}"

    def presigned_url(self, key: str, expires_in: int) -> str:
        check_safe(key)
        return f"{self.url(key)}?{signing.signed_query(self._secret, key, expires_in)}"

    def verify_presigned(self, key: str, query: str) -> bool:
        """Whether ``query`` is that of a link ``presigned_url`` made for ``key``, unexpired."""
        return signing.verify(self._secret, key, query)

    def _prune(self, folder: Path) -> None:
        while folder != self.root:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def _emit(self, name: str, key: str, sequencer: str, size: int = 0, etag: str = "") -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(notification(name, BUCKET, key, size, etag, sequencer))
        except Exception:  # the write happened; a reindex repairs a missed event
            log.exception("object event handler failed for %s", key)


@contextmanager
def unavailable(action: str) -> Iterator[None]:
    """The disk failing (read-only, full, no permission, I/O error) as ServiceUnavailable
    with a message that names no path — it reaches clients and job records. A missing file
    passes through: each caller says what that means."""
    try:
        yield
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
        log.warning("image store: cannot %s: %s", action, reason)
        raise ServiceUnavailable(f"the image store cannot {action} ({reason}); "
                                 f"try again later") from None


_check: type[ObjectStore] = FolderObjectStore  # mypy holds the adapter to the port
