"""The benchmark harness runs (on one image, few repetitions) so that it cannot rot."""

import json

from bench.__main__ import main


def test_bench_harness_writes_json_and_markdown(tmp_path):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    (json_file,) = tmp_path.glob("*.json")
    result = json.loads(json_file.read_text())["dense_iuv"]
    assert result["persons"] and all(r["landmarks_ms"] > 0 and r["dense_iuv_ms"] > 0 for r in result["persons"])
    assert min(r["ratio"] for r in result["persons"]) <= result["median_ratio"] <= result["max_ratio"]
    report = next(tmp_path.glob("*.md")).read_text()
    assert "| image |" in report and "supervision ByteTrack" in report
    tracker = json.loads(json_file.read_text())["tracker"]
    assert tracker["bytetrack_ms"] > 0 and tracker["arsdk_with_appearance_ms"] > 0
    transport = json.loads(json_file.read_text())["transport"]
    assert transport["arsdk"]["throughput_fps"] > 0 and transport["imagezmq"]["slow_received"] > 0
