"""Live sources against real stream servers on 127.0.0.1, with failures injected: the server goes away and
comes back (after 2 s and after 20 s), stalls, changes the frame size, sends a damaged frame; and a source
that gives up says what to check (exit code 2 on the command line)."""

import logging
import time

import pytest

from arsdk import SourceEndedEarly, SourceOptions, open_source
from arsdk.cli import main
from arsdk.bench.cameras import MjpegHttpServer, RtspServer, rtsp_unavailable
from arsdk.bench.clips import read_frames

_READ_TIMEOUT_MS = 1500
_OPTIONS = SourceOptions(open_timeout_ms=3000, read_timeout_ms=_READ_TIMEOUT_MS)


@pytest.fixture(scope="module")
def frames(sample_clip):
    return read_frames(sample_clip, 40)


@pytest.fixture(scope="module")
def rtsp_ready():
    reason = rtsp_unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture(params=["http", "rtsp"])
def camera(request, frames, tmp_path):
    """A server of either protocol (not started)."""
    if request.param == "rtsp":
        request.getfixturevalue("rtsp_ready")
        return RtspServer(frames, tmp_path / "jpegs")
    return MjpegHttpServer(frames)


def _next_frame_within(source, seconds: float):
    """The first frame the source captured from now on, or None after ``seconds``."""
    start = time.monotonic()
    while time.monotonic() < start + seconds:
        with source._cond:  # noqa: SLF001 - a non-blocking peek keeps the test's own timing exact
            latest = source._latest  # noqa: SLF001
        if latest is not None and latest.captured_ms / 1000.0 >= start:
            return latest
        time.sleep(0.02)
    return None


def test_frames_arrive_from_a_camera(camera):
    with camera as server, open_source(server.url, _OPTIONS) as source:
        got = [source.read() for _ in range(5)]
        assert all(f is not None and f.image_bgr.shape == (576, 768, 3) for f in got)
        assert [f.index for f in got] == sorted({f.index for f in got})
        stamps = [f.timestamp_ms for f in got]
        assert stamps == sorted(stamps) and all(f.captured_ms == f.timestamp_ms for f in got), "one monotonic clock"


@pytest.mark.parametrize("down_s", [2.0, pytest.param(20.0, marks=pytest.mark.slow)])
def test_frames_flow_again_within_5_s_of_the_servers_return(camera, down_s, caplog):
    caplog.set_level(logging.WARNING, logger="arsdk")
    server = camera.start()
    try:
        with open_source(server.url, _OPTIONS) as source:
            assert source.read() is not None
            server.stop()
            time.sleep(down_s)
            server.start()  # the same port
            back = time.monotonic()
            frame = _next_frame_within(source, 5.0)
            assert frame is not None, f"no frame within 5 s of the server's return after {down_s} s down"
            assert frame.timestamp_ms / 1000.0 >= back
    finally:
        server.stop()
    lost = [r.getMessage() for r in caplog.records if "no frame for" in r.getMessage()]
    again = [r.getMessage() for r in caplog.records if "frames again after" in r.getMessage()]
    assert len(lost) == 1 and len(again) == 1, "each event is said once, in plain words"


def test_a_stalled_server_is_detected_within_the_read_timeout(camera, caplog):
    caplog.set_level(logging.WARNING, logger="arsdk")
    with camera as server, open_source(server.url, _OPTIONS) as source:
        assert source.read() is not None
        server.stall()
        stalled_at = time.monotonic()
        detected = None
        while time.monotonic() - stalled_at < _READ_TIMEOUT_MS / 1000.0 + 3.0:
            if any("stalled" in r.getMessage() for r in caplog.records):
                detected = time.monotonic() - stalled_at
                break
            time.sleep(0.02)
        assert detected is not None and detected <= _READ_TIMEOUT_MS / 1000.0 + 1.0, detected
        server.resume()
        assert _next_frame_within(source, 5.0) is not None


def test_a_damaged_frame_is_survived(camera):
    with camera as server, open_source(server.url, _OPTIONS) as source:
        assert source.read() is not None
        server.corrupt_next()
        time.sleep(0.3)
        assert _next_frame_within(source, 5.0) is not None, "frames flow again after a damaged one"


def test_a_new_frame_size_and_a_damaged_frame_are_survived_over_http(frames):
    with MjpegHttpServer(frames) as server, open_source(server.url, _OPTIONS) as source:
        assert source.read().image_bgr.shape == (576, 768, 3)
        server.size = (640, 480)
        # FFmpeg scales a stream whose size changes to the size it opened with; a new connection gets the new
        # size (the source says so in the log): either way frames keep coming
        time.sleep(0.3)
        frame = _next_frame_within(source, 5.0)
        assert frame is not None and frame.image_bgr.shape in ((480, 640, 3), (576, 768, 3))
        server.corrupt_next()
        time.sleep(0.3)
        assert _next_frame_within(source, 5.0) is not None, "frames flow again after a damaged one"


def test_a_source_that_gives_up_says_what_to_check(frames, tmp_path, capsys):
    server = MjpegHttpServer(frames).start()
    url = server.url
    options = SourceOptions(open_timeout_ms=1000, read_timeout_ms=1000, reconnect_give_up_s=2.0)
    with open_source(url, options) as source:
        assert source.read() is not None
        server.stop()
        with pytest.raises(SourceEndedEarly, match="gave up"):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                source.read()
    # the command line: exit code 2 and one line saying what to check
    server.start()
    stopper = __import__("threading").Timer(3.0, server.stop)
    stopper.start()
    try:
        code = main(["run", url, "--no-iuv", "--no-track", "-o", str(tmp_path / "out"), "--timeout-ms", "1000",
                     "--give-up-after", "2"])  # fmt: skip
    finally:
        stopper.join()
        server.stop()
    err = capsys.readouterr().err
    assert code == 2 and "gave up" in err and "Check that the camera or server is running" in err
