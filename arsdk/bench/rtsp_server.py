"""An RTSP camera on 127.0.0.1 for the live-source tests: GStreamer's RTSP server (Debian's
gir1.2-gst-rtsp-server-1.0, run by the system python3 that has PyGObject).

Serves the JPEG files of a folder, in a loop, as Motion-JPEG over RTP at ``rtsp://127.0.0.1:PORT/cam``,
like a live camera: the frame sent depends on the time. Commands on stdin, one per line, inject failures:
``stall`` (keep the session, send nothing), ``resume``, ``corrupt`` (the next frame is a damaged JPEG).
Prints ``ready PORT`` when it listens. Stop it with SIGTERM (a server that goes away).

Usage: /usr/bin/python3 arsdk/bench/rtsp_server.py FOLDER PORT [FPS]

Not imported by arsdk: it runs under the system python3 (PyGObject), not in arsdk's environment.
"""

import os
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

folder, port = sys.argv[1], int(sys.argv[2])
fps = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0
names = sorted(n for n in os.listdir(folder) if n.endswith(".jpg"))
frames = [open(os.path.join(folder, n), "rb").read() for n in names]
state = {"stalled": False, "corrupt": False}


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a baseline or progressive JPEG's start-of-frame marker."""
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at >= 0:
            return int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
    raise ValueError("not a JPEG")


width, height = jpeg_size(frames[0])
start = time.monotonic()

Gst.init(None)


class Camera(GstRtspServer.RTSPMediaFactory):
    def do_create_element(self, url):  # noqa: ANN001, ANN201
        pipeline = Gst.parse_launch(
            f"appsrc name=src is-live=true format=time do-timestamp=true "
            f"caps=image/jpeg,width={width},height={height},framerate={int(fps)}/1 ! rtpjpegpay name=pay0 pt=26"
        )
        source = pipeline.get_by_name("src")
        source.connect("need-data", self.need_data)
        return pipeline

    def need_data(self, source, length) -> None:  # noqa: ANN001
        time.sleep(1.0 / fps)
        while state["stalled"]:
            time.sleep(0.02)
        data = frames[int((time.monotonic() - start) * fps) % len(frames)]
        if state["corrupt"]:
            state["corrupt"] = False
            data = data[: len(data) // 3] + bytes(range(256)) * 4
        source.emit("push-buffer", Gst.Buffer.new_wrapped(data))


def commands() -> None:
    for line in sys.stdin:
        word = line.strip()
        if word == "stall":
            state["stalled"] = True
        elif word == "resume":
            state["stalled"] = False
        elif word == "corrupt":
            state["corrupt"] = True


server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(str(port))
factory = Camera()
factory.set_shared(True)
server.get_mount_points().add_factory("/cam", factory)
server.attach(None)
threading.Thread(target=commands, daemon=True).start()
print(f"ready {port}", flush=True)
GLib.MainLoop().run()
