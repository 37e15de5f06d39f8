"""The browser front-end, end to end in headless Chromium (Debian's, driven by Playwright)."""

import contextlib
import shutil
import socket
import threading
import time
import urllib.request

import numpy as np
import pytest

from arsdk import Frame, FrameResult
from arsdk.transport import Publisher
from arsdk.transport.web import WebBridge
from tests.golden_cases import persons_of

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Stream:
    """A publisher on loopback sending one frame result 10 times a second, on a thread."""

    def __init__(self, persons, labels=None, drawn=()):
        self.image, _ = persons_of("basketball1.png")
        self.persons, self.drawn = persons, drawn
        self.endpoint = f"tcp://127.0.0.1:{_free_port()}"
        self.publisher = Publisher(self.endpoint, "court")
        self.publisher.labels = dict(labels or {})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self):
        index = 0
        while not self._stop.is_set():
            self.publisher.publish(FrameResult(Frame(self.image, index, index * 100.0), self.persons, labels=self.drawn))
            index += 1
            time.sleep(0.1)

    def __enter__(self):
        self._thread.start()
        return self.endpoint

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.publisher.close()


@pytest.fixture()
def stream():
    """Two tracked people of basketball1, one labelled by the application."""
    _, persons = persons_of("basketball1.png")
    with _Stream(tuple(p.replace(track_id=i + 7) for i, p in enumerate(persons)), labels={7: "seven"}) as endpoint:
        yield endpoint


@contextlib.contextmanager
def _page(endpoint):
    """Headless Chromium showing the web front-end of ``endpoint`` once 3 frames arrived: (page, bridge)."""
    from playwright.sync_api import sync_playwright

    with WebBridge(endpoint, port=0) as bridge, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.goto(bridge.url)
            page.wait_for_function("Number(document.body.dataset.frames || 0) >= 3", timeout=20000)
            yield page, bridge
        finally:
            browser.close()


def test_page_is_served_on_loopback(stream):
    with WebBridge(stream, port=0) as bridge:
        html = urllib.request.urlopen(bridge.url, timeout=5).read().decode()
        assert "arsdk live" in html and "WebSocket" in html
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(bridge.url + "nothing-here", timeout=5)


@pytest.mark.skipif(not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM), reason="chromium missing")
def test_browser_shows_frames_and_labels_that_follow_the_people(stream, tmp_path):
    with _page(stream) as (page, bridge):
        seven = page.locator('.label[data-track-id="7"]')
        eight = page.locator('.label[data-track-id="8"]')
        assert seven.inner_text() == "seven"
        assert eight.inner_text().startswith("#8")
        frame = page.locator("#frame").bounding_box()
        assert frame["width"] > 300
        # each label sits above its person: x over the person's box centre, scaled to the shown image
        _, persons = persons_of("basketball1.png")
        for label, person in ((seven, persons[0]), (eight, persons[1])):
            box = label.bounding_box()
            centre_x = frame["x"] + (person.box_xyxy[0] + person.box_xyxy[2]) / 2 * frame["width"] / 640
            assert abs(box["x"] + box["width"] / 2 - centre_x) < 3
            # above the person's head, unless that would leave the view (then at the top edge)
            top = max(person.box_xyxy[1] * frame["height"] / 480, box["height"])
            assert box["y"] + box["height"] <= frame["y"] + top + 1 and box["y"] >= frame["y"] - 1
        page.screenshot(path=str(tmp_path / "page.png"))
    assert bridge.frames_sent >= 3


@pytest.mark.skipif(not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM), reason="chromium missing")
def test_labels_drawn_in_the_image_are_not_drawn_twice_and_labels_stay_in_view():
    _, persons = persons_of("basketball1.png")
    # person 7 wears a label drawn into the image; person 8 stands at the top left corner of the frame
    corner = persons[1].replace(track_id=8, box_xyxy=np.array([0.0, 0.0, 30.0, 200.0], np.float32))
    with _Stream((persons[0].replace(track_id=7), corner), drawn=("#7 drawn", None)) as endpoint:
        with _page(endpoint) as (page, _):
            assert page.locator('.label[data-track-id="7"]').count() == 0, "already in the image"
            label = page.locator('.label[data-track-id="8"]').bounding_box()
            frame = page.locator("#frame").bounding_box()
            assert label["x"] >= frame["x"] - 1 and label["y"] >= frame["y"] - 1
            assert label["x"] + label["width"] <= frame["x"] + frame["width"] + 1
