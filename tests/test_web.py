"""The browser front-end, end to end in headless Chromium (Debian's, driven by Playwright)."""

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


@pytest.fixture()
def stream():
    """A publisher on loopback sending a real frame with two tracked, labelled people, 10 times a second."""
    image, persons = persons_of("basketball1.png")
    tracked = tuple(p.replace(track_id=i + 7) for i, p in enumerate(persons))
    endpoint = f"tcp://127.0.0.1:{_free_port()}"
    stop = threading.Event()
    publisher = Publisher(endpoint, "court")
    publisher.labels = {7: "seven"}

    def run():
        index = 0
        while not stop.is_set():
            publisher.publish(FrameResult(Frame(image, index, index * 100.0), tracked))
            index += 1
            time.sleep(0.1)

    thread = threading.Thread(target=run)
    thread.start()
    yield endpoint
    stop.set()
    thread.join()
    publisher.close()


def test_page_is_served_on_loopback(stream):
    with WebBridge(stream, port=0) as bridge:
        html = urllib.request.urlopen(bridge.url, timeout=5).read().decode()
        assert "arsdk live" in html and "WebSocket" in html
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(bridge.url + "nothing-here", timeout=5)


@pytest.mark.skipif(not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM), reason="chromium missing")
def test_browser_shows_frames_and_labels_that_follow_the_people(stream, tmp_path):
    from playwright.sync_api import sync_playwright

    with WebBridge(stream, port=0) as bridge, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.goto(bridge.url)
            page.wait_for_function("Number(document.body.dataset.frames || 0) >= 3", timeout=20000)
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
                assert box["y"] + box["height"] <= frame["y"] + person.box_xyxy[1] * frame["height"] / 480
            page.screenshot(path=str(tmp_path / "page.png"))
        finally:
            browser.close()
    assert bridge.frames_sent >= 3
