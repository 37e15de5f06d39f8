"""``arsdk web``: a browser AR front-end. Serves a page on 127.0.0.1 and feeds it over WebSocket from the
ZeroMQ stream: the live frames, with each tracked person's label as an HTML element that follows the person.

The page (``web/index.html`` beside this module) is plain JavaScript that reads the documented header:
it is also the example of a front-end written in another language from the docs alone. Each browser gets
the newest frame only: a slow tab skips frames instead of lagging.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from http import HTTPStatus
from importlib import resources
from pathlib import Path

import cv2

from ..errors import ConfigError
from .subscriber import ReceiveMode, Subscriber

__all__ = ["WebBridge"]


def _page() -> bytes:
    return (resources.files("arsdk") / "transport" / "web" / "index.html").read_bytes()


class WebBridge:
    """Subscribe to ``endpoint`` and serve the browser page and its WebSocket on ``host:port``.

    Args:
        endpoint: the arsdk publisher (``tcp://127.0.0.1:5555``).
        host: where to serve; loopback unless ``allow_all_interfaces``.
        port: HTTP and WebSocket port (0: any free port; see ``port`` after ``start()``).
        curve_keys, client_name: CURVE credentials for the ZeroMQ side.
    """

    def __init__(self, endpoint: str, host: str = "127.0.0.1", port: int = 8080, *, curve_keys: str | Path | None = None,
                 client_name: str = "client", allow_all_interfaces: bool = False, jpeg_quality: int = 80) -> None:  # fmt: skip
        if host not in ("127.0.0.1", "localhost", "::1") and not allow_all_interfaces:
            raise ConfigError(f"refusing to serve on {host}: use 127.0.0.1, or pass allow_all_interfaces=True")
        self.endpoint, self.host, self.port = endpoint, host, port
        self.curve_keys, self.client_name, self.jpeg_quality = curve_keys, client_name, jpeg_quality
        self.frames_sent = 0
        self._latest: str | None = None
        self._version = 0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://{self.host}:{self.port}/"

    def start(self) -> WebBridge:
        """Serve in a background thread; returns once the port is open."""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="arsdk-web", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._error is not None:
            raise self._error
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        asyncio.run(self._main())

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> WebBridge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _main(self) -> None:
        from websockets.asyncio.server import serve
        from websockets.datastructures import Headers
        from websockets.http11 import Response

        page = _page()

        def process_request(connection, request):  # noqa: ANN001, ANN202
            if request.path in ("/", "/index.html"):
                headers = Headers([("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page))),
                                   ("Cache-Control", "no-store")])  # fmt: skip
                return Response(HTTPStatus.OK, "OK", headers, page)
            if request.path != "/ws":
                return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
            return None

        changed = asyncio.Condition()

        async def handler(websocket) -> None:  # noqa: ANN001
            seen = -1
            try:
                while not self._stop.is_set():
                    async with changed:
                        try:
                            await asyncio.wait_for(changed.wait_for(lambda: self._version != seen), timeout=1.0)
                        except TimeoutError:
                            continue
                        message, seen = self._latest, self._version
                    await websocket.send(message)  # the newest frame; frames that came meanwhile are skipped
                    self.frames_sent += 1
            except Exception:  # noqa: BLE001 - a tab that closes or stalls must not affect the others
                return

        subscriber = Subscriber(self.endpoint, mode=ReceiveMode.LATEST, curve_keys=self.curve_keys,
                                client_name=self.client_name)  # fmt: skip
        loop = asyncio.get_running_loop()
        try:
            async with serve(handler, self.host, self.port, process_request=process_request) as server:
                self.port = server.sockets[0].getsockname()[1]
                self._ready.set()
                while not self._stop.is_set():
                    packet = await loop.run_in_executor(None, subscriber.receive, 200)
                    if packet is None:
                        continue
                    ok, jpeg = cv2.imencode(".jpg", packet.image_bgr, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
                    message = json.dumps({"header": packet.header, "jpeg": base64.b64encode(jpeg).decode()})
                    async with changed:
                        self._latest, self._version = message, self._version + 1
                        changed.notify_all()
        except OSError as exc:
            self._error = ConfigError(f"cannot serve on {self.host}:{self.port}: {exc}")
            self._ready.set()
        finally:
            subscriber.close()
