"""Cameras on 127.0.0.1 for the live-source tests and the soak run: real stream servers, with failures to inject.

:class:`RtspServer` runs GStreamer's RTSP server (Debian's ``gir1.2-gst-rtsp-server-1.0`` and
``gstreamer1.0-plugins-good``, driven by the system ``python3`` with PyGObject: ``arsdk/bench/rtsp_server.py``)
in a subprocess serving the clip as Motion-JPEG over RTP; stopping it kills the process, starting it again
uses the same port.

:class:`MjpegHttpServer` serves the sample clip as an HTTP MJPEG stream (``multipart/x-mixed-replace``, what
IP cameras send), in a loop, like a live camera: the frame shown depends on the time, not on when a client
connected. Failures: :meth:`stop` and :meth:`start` again on the same port (the server goes away and comes
back), ``stalled`` (connections stay open, nothing is sent), :meth:`corrupt_next` (a damaged JPEG), and
``size`` (the frame size changes).
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from ..transport.endpoints import free_loopback_endpoint

__all__ = ["MjpegHttpServer", "RtspServer", "rtsp_unavailable"]


class MjpegHttpServer:
    """An HTTP MJPEG camera on 127.0.0.1 (``url``); a context manager."""

    def __init__(self, frames: list[np.ndarray], fps: float = 15.0) -> None:
        self.frames, self.fps = frames, fps
        self.port = 0
        self.stalled = threading.Event()
        self.size: tuple[int, int] | None = None
        self._corrupt = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._start_time = time.monotonic()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def corrupt_next(self) -> None:
        """The next frame sent is a damaged JPEG."""
        self._corrupt.set()

    def stall(self) -> None:
        """Keep the connections open and send nothing."""
        self.stalled.set()

    def resume(self) -> None:
        self.stalled.clear()

    def _jpeg(self) -> bytes:
        index = int((time.monotonic() - self._start_time) * self.fps) % len(self.frames)
        image = self.frames[index]
        if self.size is not None:
            image = cv2.resize(image, self.size)
        data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
        if self._corrupt.is_set():
            self._corrupt.clear()
            data = data[: len(data) // 3] + bytes(range(256)) * 4
        return data

    def start(self) -> MjpegHttpServer:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=arsdkframe")
                self.end_headers()
                with owner._lock:
                    owner._connections.add(self.connection)
                try:
                    while True:
                        if owner.stalled.is_set():
                            time.sleep(0.02)
                            continue
                        data = owner._jpeg()
                        head = b"--arsdkframe\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(data)
                        self.wfile.write(head + data + b"\r\n")
                        self.wfile.flush()
                        time.sleep(1.0 / owner.fps)
                except OSError:
                    pass
                finally:
                    with owner._lock:
                        owner._connections.discard(self.connection)

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="mjpeg-server", daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the listening socket and every open connection (the camera goes away)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        with self._lock:
            for connection in list(self._connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._connections.clear()

    def __enter__(self) -> MjpegHttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_SYSTEM_PYTHON = "/usr/bin/python3"
_RTSP_SCRIPT = Path(__file__).parent / "rtsp_server.py"


def rtsp_unavailable() -> str | None:
    """Why the RTSP server cannot run here (None: it can)."""
    if not Path(_SYSTEM_PYTHON).exists():
        return "no system python3 with PyGObject (Debian's python3-gi)"
    probe = ("import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import Gst, GstRtspServer; "
             "Gst.init(None); assert Gst.ElementFactory.find('rtpjpegpay') and Gst.ElementFactory.find('appsrc')")  # fmt: skip
    proc = subprocess.run([_SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return ("GStreamer's RTSP server is not installed (scripts/system_deps.sh installs gir1.2-gst-rtsp-server-1.0 "
                "gstreamer1.0-plugins-base gstreamer1.0-plugins-good)")  # fmt: skip
    return None


class RtspServer:
    """An RTSP camera on 127.0.0.1 (``url``) in a subprocess; a context manager."""

    def __init__(self, frames: list[np.ndarray], folder: Path, fps: float = 15.0) -> None:
        self.folder, self.fps = Path(folder), fps
        self.folder.mkdir(parents=True, exist_ok=True)
        for k, image in enumerate(frames):
            cv2.imwrite(str(self.folder / f"{k:04d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        self.port = int(free_loopback_endpoint().rsplit(":", 1)[1])
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/cam"

    def start(self) -> RtspServer:
        self._proc = subprocess.Popen([_SYSTEM_PYTHON, str(_RTSP_SCRIPT), str(self.folder), str(self.port), str(self.fps)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      text=True)  # fmt: skip
        line = self._proc.stdout.readline() if self._proc.stdout else ""
        if not line.startswith("ready"):
            self.stop()
            raise RuntimeError(f"the RTSP server did not start: {line!r}")
        return self

    def _say(self, word: str) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(word + "\n")
        self._proc.stdin.flush()

    def stall(self) -> None:
        self._say("stall")

    def resume(self) -> None:
        self._say("resume")

    def corrupt_next(self) -> None:
        self._say("corrupt")

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                stream.close()
        self._proc = None

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
