"""Run inside a network namespace with no interfaces (``unshare -n``): bring loopback up,
start the local server, and visit it as the kiosk does — photos with and without a face (one
over 512 KB, the size at which waitress used to spool a body to a temporary file), the
garden, a like, a text-to-image job. Prints one JSON line of what each answer was. Under
strace (the TRACE_FILE) the server's connects and file creations are logged.

Usage: offline_visit.py DATA_DIR HOME TMPDIR CWD [TRACE_FILE]"""
from __future__ import annotations

import fcntl
import io
import json
import shutil
import socket
import struct
import sys
from pathlib import Path

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def photos() -> dict[str, tuple[str, bytes]]:
    import numpy
    import skimage.data
    from PIL import Image

    def encoded(rgb, kind: str) -> bytes:
        out = io.BytesIO()
        Image.fromarray(rgb).convert("RGB").save(out, kind)
        return out.getvalue()

    large = numpy.asarray(Image.fromarray(skimage.data.astronaut()).resize((1024, 1024)))
    photos = {"astronaut.jpeg": ("image/jpeg", encoded(skimage.data.astronaut(), "JPEG")),
              "astronaut.png": ("image/png", encoded(skimage.data.astronaut(), "PNG")),
              "astronaut-large.png": ("image/png", encoded(large, "PNG")),
              "coffee.jpeg": ("image/jpeg", encoded(skimage.data.coffee(), "JPEG"))}
    assert len(photos["astronaut-large.png"][1]) > 1024 * 1024
    return photos


def main() -> None:
    data_dir, home, tmp, cwd = (Path(p) for p in sys.argv[1:5])
    trace = sys.argv[5] if len(sys.argv) > 5 else None
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.hardening.server import ADMIN_KEY, call, environment, serving
    loopback_up()
    env = environment(HOME=str(home), TMPDIR=str(tmp))
    wrapper = ["strace", "-f", "-qq", "--seccomp-bpf", "-e",
               "trace=connect,sendto,sendmsg,open,openat,creat", "-o", trace] \
        if trace and shutil.which("strace") else []
    answers = {}
    with serving(data_dir, env, port=8765, wrapper=wrapper, cwd=cwd) as origin:
        for name, (kind, body) in photos().items():
            status, _, answer = call(origin, "POST", "/emotion", body, {"Content-Type": kind})
            answers[name] = [status, answer.get("emotions") or answer.get("message")]
        status, _, answer = call(origin, "POST", "/text2image", json.dumps(
            {"text": "A flower, happy", "count": 1, "width": 256, "height": 256}),
            {"Content-Type": "application/json"})
        answers["text2image"] = [status, answer.get("status")]
        status, _, answer = call(origin, "GET", "/admin/overview", headers={"x-api-key": ADMIN_KEY})
        answers["overview"] = [status, len(answer.get("emotions", []))]
    print(json.dumps({"answers": answers, "traced": bool(wrapper)}))


if __name__ == "__main__":
    main()
