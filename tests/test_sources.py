"""Sources on real files, and the live reader thread on a real OpenCV capture."""

import logging
import socket
import time

import cv2
import numpy as np
import pytest

from arsdk import ConfigError, SourceEndedEarly, SourceError, SourceOptions, open_source
from arsdk.sources import FolderSource, ImageSource, LiveSource, VideoFileSource
from tests.conftest import data_file


def test_video_file_delivers_every_frame_in_order(sample_clip):
    with open_source(sample_clip) as source:
        assert isinstance(source, VideoFileSource) and not source.is_live
        frames = list(source)
    assert [f.index for f in frames] == list(range(100))
    assert frames[10].timestamp_ms == pytest.approx(1000.0)
    assert frames[0].resolution_wh == (768, 576)
    assert frames[0].source_id == str(sample_clip)


def test_video_file_loops_when_asked(sample_clip):
    with open_source(str(sample_clip), SourceOptions(loop=True)) as source:
        frames = [source.read() for _ in range(130)]
    assert all(f is not None for f in frames)
    np.testing.assert_array_equal(frames[100].image_bgr, frames[0].image_bgr)
    assert frames[129].index == 129


def test_image_file_is_one_frame(messi_bgr, tmp_path):
    path = tmp_path / "m.png"
    cv2.imwrite(str(path), messi_bgr)
    with open_source(path) as source:
        assert isinstance(source, ImageSource)
        assert source.read() is not None and source.read() is None


def test_folder_reads_images_in_name_order_and_skips_undecodable_ones(tmp_path, caplog):
    for i, name in enumerate(["b.png", "a.jpg", "c.png"]):
        cv2.imwrite(str(tmp_path / name), np.full((8, 8, 3), i * 50, np.uint8))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored")
    with caplog.at_level(logging.WARNING), open_source(tmp_path) as source:
        assert isinstance(source, FolderSource)
        frames = list(source)
    assert [f.source_id.rsplit("/", 1)[-1] for f in frames] == ["a.jpg", "b.png", "c.png"]
    assert [f.index for f in frames] == [0, 1, 2]
    assert "broken.png: cannot decode" in caplog.text


@pytest.mark.parametrize(
    ("make_spec", "error", "message"),
    [
        (lambda d: d / "missing.mp4", SourceError, "no such file or folder"),
        (lambda d: _empty_folder(d), SourceError, "folder holds no images"),
        (lambda d: _text_file(d, "clip.mp4"), SourceError, "not a video OpenCV can open"),
        (lambda d: _text_file(d, "photo.jpg"), SourceError, "not an image OpenCV can decode"),
        (lambda d: "foo://camera/1", ConfigError, "unknown URL scheme 'foo://'"),
        (lambda d: f"rtsp://127.0.0.1:{_closed_port()}/live", SourceError, "cannot open the stream"),
    ],
)
def test_bad_sources_raise_clear_errors(tmp_path, make_spec, error, message):
    with pytest.raises(error, match=message):
        open_source(make_spec(tmp_path), SourceOptions(open_timeout_ms=1500, read_timeout_ms=1500))


def test_truncated_video_delivers_the_readable_frames_then_says_so(sample_clip, tmp_path):
    truncated = tmp_path / "cut.avi"
    truncated.write_bytes(sample_clip.read_bytes()[:600_000])
    source = open_source(truncated)
    frames = []
    with pytest.raises(SourceEndedEarly, match=r"ended after \d+ of 100 frames; the file looks truncated") as info:
        while (frame := source.read()) is not None:
            frames.append(frame)
    assert 0 < len(frames) == info.value.frames_read < 100
    source.close()
    source.close()  # idempotent


def test_a_jpeg_cut_short_is_read_with_a_warning(tmp_path, caplog):
    """A JPEG without its end marker decodes in part (its lower rows grey): it is read, and the log says the
    file ends early; a whole JPEG and a PNG are read without a word."""
    whole = data_file("messi5.jpg").read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 3])
    (tmp_path / "whole.jpg").write_bytes(whole)
    cv2.imwrite(str(tmp_path / "whole.png"), cv2.imread(str(data_file("messi5.jpg"))))
    for name in ("whole.jpg", "whole.png"):
        with caplog.at_level(logging.WARNING, logger="arsdk.sources"), open_source(tmp_path / name) as source:
            assert source.read() is not None
        assert not caplog.records, name
    with caplog.at_level(logging.WARNING, logger="arsdk.sources"), open_source(cut) as source:
        frame = source.read()
    assert frame is not None and frame.image_bgr.shape[:2] == (342, 548)
    assert any("ends early" in r.getMessage() and "cut.jpg" in r.getMessage() for r in caplog.records)
    assert len(caplog.records) == 1  # said once, though the file was checked and then read


def _empty_folder(d):
    folder = d / "empty"
    folder.mkdir()
    return folder


def _text_file(d, name):
    path = d / name
    path.write_text("this is text, not media\n")
    return path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the with-block ends: connections are refused


def _file_camera(path):
    """A real OpenCV capture on a file, standing in for a camera: it delivers frames as fast as it decodes."""
    return lambda: cv2.VideoCapture(str(path))


def test_live_source_hands_over_the_newest_frame_and_counts_drops(sample_clip):
    options = SourceOptions(reconnect=False)
    with LiveSource("fake-camera", _file_camera(sample_clip), options) as source:
        assert source.is_live
        first = source.read()
        time.sleep(0.3)  # a slow consumer: the reader keeps decoding meanwhile
        second = source.read()
        indices = [first.index, second.index]
        while (frame := source.read()) is not None:
            indices.append(frame.index)
    assert indices == sorted(set(indices)), "frames must come newest-first without repeats"
    assert second.index > first.index + 1, "frames decoded while the consumer slept must be skipped"
    assert source.dropped >= second.index - first.index - 1


def test_live_source_reconnects_after_the_stream_is_lost(sample_clip, caplog):
    options = SourceOptions(reconnect=True, reconnect_initial_s=0.05, reconnect_max_s=0.1)
    with caplog.at_level(logging.WARNING), LiveSource("flaky", _file_camera(sample_clip), options) as source:
        deadline = time.monotonic() + 60
        while source.reconnects < 2 and time.monotonic() < deadline:
            assert source.read() is not None
    assert source.reconnects >= 2
    assert "reconnecting every" in caplog.text and "frames again after" in caplog.text


def test_live_source_gives_up_after_the_configured_time(sample_clip):
    opened = []

    def opener():
        opened.append(1)
        return cv2.VideoCapture(str(sample_clip)) if len(opened) == 1 else cv2.VideoCapture("/nonexistent.avi")

    options = SourceOptions(reconnect_initial_s=0.05, reconnect_max_s=0.05, reconnect_give_up_s=0.5)
    frames = 0
    with LiveSource("dies", opener, options) as source:
        with pytest.raises(SourceEndedEarly, match="gave up .* Check that the camera or server is running"):
            while source.read() is not None:
                frames += 1
        assert source.read() is None, "said once; then the source has ended"
    assert frames >= 1 and len(opened) >= 2


def test_missing_camera_index_is_a_clear_error():
    with pytest.raises(SourceError, match="no camera at index 9"):
        open_source(9)
