"""The benchmark harness runs (on one image, few repetitions) so that it cannot rot."""

import json
import re

import pytest

from arsdk.bench.run import main


def test_bench_harness_writes_json_and_markdown(tmp_path):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    (json_file,) = tmp_path.glob("*.json")
    result = json.loads(json_file.read_text())["dense_iuv"]
    assert result["persons"] and all(r["landmarks_ms"] > 0 and r["dense_iuv_ms"] > 0 for r in result["persons"])
    assert min(r["ratio"] for r in result["persons"]) <= result["median_ratio"] <= result["max_ratio"]
    report = next(tmp_path.glob("*.md")).read_text()
    assert "| image |" in report and "supervision ByteTrack" in report
    assert re.search(r"imagezmq with a subscriber .*: \d+\.\d\d .*publishers alone: \d+ vs \d+ fps", report)
    tracker = json.loads(json_file.read_text())["tracker"]
    assert tracker["bytetrack_ms"] > 0 and tracker["arsdk_with_appearance_ms"] > 0
    transport = json.loads(json_file.read_text())["transport"]
    assert transport["arsdk"]["throughput_fps"] > 0 and transport["imagezmq"]["slow_received"] > 0
    rounds = transport["imagezmq"]["throughput_rounds_fps"]  # taken in turns with arsdk's
    assert len(rounds) == 3 and transport["imagezmq"]["throughput_fps"] == pytest.approx(sum(rounds) / 3)
    doc = json.loads(json_file.read_text())
    clip = doc["live"]["clips"]["1 person"]
    assert clip["estimator_alone"]["fps"] > 0 and clip["end_to_end"]["received"] > 0
    for stage in ("capture", "estimator.landmarks", "estimator.dense_iuv", "tracker", "compositor.texture",
                  "compositor.labels", "publisher.encode", "publisher.send"):  # fmt: skip
        assert clip["end_to_end"]["stages_ms"][stage]["p99"] >= clip["end_to_end"]["stages_ms"][stage]["p50"] > 0
    assert doc["live"]["vs_mediapipe"]["mediapipe_ms"]["mean"] > 0 and doc["live"]["vs_mediapipe"]["ratio"] > 0
    assert {t["name"].split(",")[0] for t in doc["targets"]} >= {"end-to-end fps / estimator-alone fps",
                                                                  "arsdk frame time / mp.solutions.pose frame time"}
    body = doc["body"]
    assert body["silhouettes"] and body["median_body_iou"] > 0 and body["flicker"]["body"]["links"] > 0
    assert body["cost"][0]["body_followed_ms"] > 0 and body["startup"]["body"]["peak_rss_mb"] > 0
    assert "## Fitted body vs. capsule charts" in report
    assert "## Targets" in report and "Stage breakdown" in report
    assert len(list(tmp_path.glob("*-stages.png"))) == 1 and len(list(tmp_path.glob("*-fps.png"))) == 1
