"""The command line, in-process and through the real entry point."""

import json
import os
import socket
import subprocess
import sys

import cv2
import numpy as np
import pytest

from arsdk.cli import main
from tests.conftest import REPO, data_file


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bad_inputs(tmp_path, sample_clip):
    empty = tmp_path / "empty"
    empty.mkdir()
    text = tmp_path / "notes.mp4"
    text.write_text("plain text\n")
    truncated = tmp_path / "cut.avi"
    truncated.write_bytes(sample_clip.read_bytes()[:600_000])
    out = str(tmp_path / "out.mp4")
    return {
        "missing file": (["run", str(tmp_path / "nope.mp4"), "-o", out], "no such file"),
        "truncated video": (["run", str(truncated), "-o", out], "looks truncated"),
        "text named .mp4": (["run", str(text), "-o", out], "not a video OpenCV can open"),
        "empty folder": (["run", str(empty), "-o", out], "folder holds no images"),
        "unknown scheme": (["run", "gopher://127.0.0.1/x", "-o", out], "unknown URL scheme"),
        "unreachable rtsp": (
            ["run", f"rtsp://127.0.0.1:{_closed_port()}/x", "--timeout-ms", "1000", "--output", out],
            "cannot open the stream within 1000 ms",
        ),
        "no output chosen": (["run", str(sample_clip)], "add -o PATH, --show and/or --publish"),
        "bad option value": (["run", str(sample_clip), "-o", out, "--max-frames", "0"], "must be >= 1"),
        "unknown option": (["run", "0", "--frobnicate"], "unrecognized arguments"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing file", "truncated video", "text named .mp4", "empty folder", "unknown scheme", "unreachable rtsp",
     "no output chosen", "bad option value", "unknown option"],
)  # fmt: skip
def test_bad_input_exits_2_with_one_clear_line_and_no_traceback(case, tmp_path, sample_clip, capsys):
    argv, message = _bad_inputs(tmp_path, sample_clip)[case]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    error_lines = [line for line in err.splitlines() if line.startswith("arsdk: error:")]
    assert len(error_lines) == 1


def test_truncated_video_keeps_the_frames_before_the_damage(tmp_path, sample_clip, capsys):
    truncated = tmp_path / "cut.avi"
    truncated.write_bytes(sample_clip.read_bytes()[:600_000])
    out = tmp_path / "out.mp4"
    assert main(["run", str(truncated), "-o", str(out), "--proposal-interval", "10"]) == 2
    err = capsys.readouterr().err
    read = int(err.split("video ended after ")[1].split()[0])
    written = cv2.VideoCapture(str(out))
    assert read > 0 and int(written.get(cv2.CAP_PROP_FRAME_COUNT)) == read


def test_show_without_a_display_is_a_usage_error(monkeypatch, sample_clip, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["run", str(sample_clip), "--show", "--max-frames", "1"]) == 2
    assert "no display" in capsys.readouterr().err


def test_dump_writes_one_json_per_frame(tmp_path, sample_clip, capsys):
    out = tmp_path / "dump"
    assert main(["dump", str(sample_clip), "--out", str(out), "--max-frames", "3"]) == 0
    files = sorted(out.glob("*.json"))
    assert [f.name for f in files] == ["000000.json", "000001.json", "000002.json"]
    assert sorted(p.name for p in out.glob("000002_*.png")) == ["000002_inds.png", "000002_iuv.png"]
    doc = json.loads(files[2].read_text())
    assert doc["schema"] == "arsdk.frame/1" and doc["frame_index"] == 2
    assert (doc["width"], doc["height"]) == (768, 576)
    assert len(doc["persons"]) >= 4
    person = doc["persons"][0]
    assert len(person["box_xyxy"]) == 4 and 0 <= person["score"] <= 1
    assert len(person["landmarks"]) == 33 and all(len(p) == 3 for p in person["landmarks"])
    assert len(person["world_landmarks_m"]) == 33
    assert person["track_id"] is None
    iuv_image = cv2.imread(str(out / doc["iuv_png"]), cv2.IMREAD_UNCHANGED)
    inds = cv2.imread(str(out / doc["inds_png"]), cv2.IMREAD_UNCHANGED)
    assert iuv_image.shape == (576, 768, 3) and inds.shape == (576, 768) and inds.dtype.name == "uint16"
    assert iuv_image[..., 0].max() <= 24
    for person_doc in doc["persons"]:
        # the instance image labels exactly the pixels the JSON counts for that person (nearer people may
        # cover farther ones, so the image can hold fewer)
        labelled = int((inds == person_doc["iuv"]["instance"]).sum())
        assert 0 < labelled <= person_doc["iuv"]["pixels"] == sum(person_doc["iuv"]["part_pixels"].values())
        assert ((iuv_image[..., 0] > 0) == (inds > 0)).all()
    x0, y0, x1, y1 = person["box_xyxy"]
    inside = [x0 - 5 <= x <= x1 + 5 and y0 - 5 <= y <= y1 + 5 for x, y, v in person["landmarks"] if v >= 0.5]
    assert sum(inside) >= 0.9 * len(inside)
    assert "arsdk: JSON written to" in capsys.readouterr().err


def _read_obj(path):
    vertices, faces = [], []
    for line in path.read_text().splitlines():
        if line.startswith("v "):
            vertices.append([float(v) for v in line.split()[1:]])
        elif line.startswith("f "):
            faces.append([int(v) for v in line.split()[1:]])
    return np.array(vertices), np.array(faces)


def test_dump_with_meshes_writes_each_fitted_body_as_obj_in_the_camera_frame(tmp_path, messi_bgr):
    image = tmp_path / "messi.png"
    cv2.imwrite(str(image), messi_bgr)
    out = tmp_path / "dump"
    assert main(["dump", str(image), "--out", str(out), "--meshes", "--fov", "50"]) == 0
    doc = json.loads((out / "000000.json").read_text())
    person = doc["persons"][0]
    assert person["dense"] == "body" and person["mesh_obj"] == "000000_0.obj"
    body = person["body"]
    camera = body["camera"]
    assert camera["cx"] == messi_bgr.shape[1] / 2 and camera["fx"] == pytest.approx(
        messi_bgr.shape[1] / 2 / np.tan(np.radians(25)))
    vertices, faces = _read_obj(out / "000000_0.obj")
    assert vertices.shape == (13718, 3) and faces.shape[1] == 3 and faces.min() == 1 and faces.max() == len(vertices)
    assert (vertices[:, 2] > 0).all(), "in front of the camera"
    u = camera["fx"] * vertices[:, 0] / vertices[:, 2] + camera["cx"]
    v = camera["fy"] * vertices[:, 1] / vertices[:, 2] + camera["cy"]
    x0, y0, x1, y1 = person["box_xyxy"]
    on_person = (u > x0 - 10) & (u < x1 + 10) & (v > y0 - 10) & (v < y1 + 10)
    assert on_person.mean() > 0.95, "fx * x / z + cx lands on the person"
    joints = np.array(body["joints_xy"])
    seen = np.array([p[2] >= 0.5 for p in person["landmarks"]])
    error = np.linalg.norm(joints[seen] - np.array(person["landmarks"])[seen, :2], axis=1)
    assert np.median(error) < 0.05 * (y1 - y0)


def test_dump_with_capsules_says_so_and_has_no_body(tmp_path, messi_bgr):
    image = tmp_path / "messi.png"
    cv2.imwrite(str(image), messi_bgr)
    assert main(["dump", str(image), "--out", str(tmp_path / "d"), "--dense", "capsules", "--meshes"]) == 0
    person = json.loads((tmp_path / "d" / "000000.json").read_text())["persons"][0]
    assert person["dense"] == "capsules" and person["body"] is None and "mesh_obj" not in person


def test_demo_writes_a_video_and_says_where(tmp_path, capsys):
    out = tmp_path / "demo.mp4"
    assert main(["demo", "--output", str(out), "--max-frames", "4"]) == 0
    assert f"arsdk: demo video written to {out.resolve()}" in capsys.readouterr().err
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    assert (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (768, 576)


def test_run_on_a_folder_writes_images(tmp_path, messi_bgr, basketball_bgr):
    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "1.png"), messi_bgr)
    cv2.imwrite(str(src / "2.png"), basketball_bgr)
    assert main(["run", str(src), "-o", str(tmp_path / "marked")]) == 0
    written = sorted((tmp_path / "marked").glob("*.png"))
    assert [p.name for p in written] == ["000000.png", "000001.png"]
    marked = cv2.imread(str(written[0]))
    assert marked.shape == messi_bgr.shape and (marked != messi_bgr).any()


def test_info_reports_versions_device_and_models(capsys):
    assert main(["info", "--json", "--no-egl"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["versions"]["mediapipe"] == "0.10.21"
    assert info["models"]["body"] == {"name": "arsdk-anny-17", "vertices": 13718, "faces": 27420, "segments": 17}
    assert info["device"]["selected"] in ("cpu", "cuda")
    assert info["models"]["pose_landmarker_task"].endswith(".task")


def test_the_installed_entry_point_maps_errors_to_exit_codes(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "arsdk", "run", str(tmp_path / "missing.avi"), "-o", "x.mp4"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "no such file" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "arsdk"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "usage" in proc.stderr


def test_cluster_without_ray_says_how_to_get_it(monkeypatch, tmp_path, capsys):
    import arsdk.cluster

    from arsdk.cli import main

    monkeypatch.setattr(arsdk.cluster, "ray_available", lambda: False)
    config = tmp_path / "cameras.toml"
    config.write_text('[[camera]]\nname = "a"\nsource = "x.mp4"\n')
    assert main(["cluster", "--sources", str(config)]) == 2
    assert "pip install 'arsdk[cluster]'" in capsys.readouterr().err


def test_bench_command_checks_its_data_folder(tmp_path, capsys):
    from arsdk.cli import main

    assert main(["bench", "--data", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    assert "is not a folder" in capsys.readouterr().err


@pytest.fixture(scope="module")
def vtest_head(tmp_path_factory):
    """The first 30 frames of vtest.avi as a folder of numbered images (1.png .. 30.png: name order must be
    numeric)."""
    from tests.conftest import data_file

    folder = tmp_path_factory.mktemp("vtest_frames")
    capture = cv2.VideoCapture(str(data_file("vtest.avi")))
    frames = []
    for index in range(30):
        ok, image = capture.read()
        assert ok
        frames.append(image)
        cv2.imwrite(str(folder / f"{index + 1}.png"), image)
    capture.release()
    return folder, frames


def test_dump_mot_rows_of_a_folder_of_frames_read_back_by_motmetrics(tmp_path, vtest_head):
    import motmetrics as mm

    folder, _ = vtest_head
    mot = tmp_path / "arsdk.txt"
    assert main(["dump", str(folder), "--out", str(tmp_path / "json"), "--mot", str(mot), "--no-iuv"]) == 0
    rows = mot.read_text().splitlines()
    assert rows and all(len(r.split(",")) == 10 for r in rows)
    ours = mm.io.loadtxt(str(mot), fmt="mot15-2D")
    frames = ours.index.get_level_values("FrameId")
    assert frames.min() >= 1 and frames.max() <= 30
    ids = ours.index.get_level_values("Id")
    assert len(set(ids)) >= 5, "the people of the sequence are tracked, not one id per image"
    # the folder is treated as video: a person's id holds across the frames
    per_id = ours.groupby(level="Id").size()
    assert per_id.max() >= 20
    doc = json.loads((tmp_path / "json" / "000029.json").read_text())
    assert any(p["track_id"] is not None for p in doc["persons"])
    # scored against itself the metrics are perfect (the file is well-formed for py-motmetrics)
    acc = mm.utils.compare_to_groundtruth(ours, ours, "iou", distth=0.5)
    summary = mm.metrics.create().compute(acc, metrics=["mota", "idf1"], name="self")
    assert summary.loc["self", "mota"] == pytest.approx(1.0) and summary.loc["self", "idf1"] == pytest.approx(1.0)


def test_run_on_a_folder_treats_it_as_a_sequence_only_when_asked(tmp_path, vtest_head):
    folder, _ = vtest_head
    from arsdk.cli import build_parser, is_video
    from arsdk.sources import open_source

    with open_source(str(folder)) as source:
        assert [p.name for p in source.paths[:3]] == ["1.png", "2.png", "3.png"]
        assert not is_video(source, build_parser().parse_args(["run", str(folder)]))
        assert is_video(source, build_parser().parse_args(["run", str(folder), "--sequence"]))
        assert is_video(source, build_parser().parse_args(["dump", str(folder), "--out", "x", "--track"]))


@pytest.mark.parametrize(("flags", "live", "expected"), [
    ([], True, True), (["--no-background-proposals"], True, False), ([], False, False),
    (["--background-proposals"], False, True),
])  # fmt: skip
def test_live_sources_search_for_new_people_beside_the_frame_loop(flags, live, expected):
    from arsdk.cli import build_parser, make_estimator

    args = build_parser().parse_args(["run", "0", *flags])
    with make_estimator(args, video=True, live=live) as estimator:
        assert estimator.options.background_proposals is expected
        assert (estimator.options.steady_frame_time is not None) is live  # files: everyone read on every frame


@pytest.mark.parametrize(("flags", "expected"), [([], True), (["--quick-first-search"], False)])
def test_a_video_file_s_first_search_is_close_unless_asked_to_be_quick(flags, expected):
    from arsdk.cli import build_parser, make_estimator

    args = build_parser().parse_args(["run", "clip.mp4", *flags])
    with make_estimator(args, video=True, live=False) as estimator:
        assert estimator.options.thorough_first_search is expected


# -- one grammar -----------------------------------------------------------------------------------------------


def test_source_is_positional_with_source_and_output_as_aliases(tmp_path, messi_bgr):
    image = tmp_path / "messi.png"
    cv2.imwrite(str(image), messi_bgr)
    assert main(["run", str(image), "-o", str(tmp_path / "a.png"), "--no-iuv"]) == 0
    assert main(["run", "--source", str(image), "--output", str(tmp_path / "b.png"), "--no-iuv"]) == 0
    assert main(["show", str(image), "segm", "--out", str(tmp_path / "c.png")]) == 0
    assert main(["show", str(image), "--vis", "segm", "-o", str(tmp_path / "d.png")]) == 0
    a, b = cv2.imread(str(tmp_path / "a.png")), cv2.imread(str(tmp_path / "b.png"))
    assert a.shape == messi_bgr.shape and np.array_equal(a, b)
    assert np.array_equal(cv2.imread(str(tmp_path / "c.png")), cv2.imread(str(tmp_path / "d.png")))


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "a.mp4", "--source", "b.mp4", "-o", "x.mp4"], "two sources given"),
    (["run", "-o", "x.mp4"], "name a source"),
    (["run", "a.mp4", "--outptu", "x.mp4"], "did you mean --output?"),
    (["dump", "a.mp4", "--trakc", "-o", "d"], "did you mean --track?"),
    (["rnu", "a.mp4"], "did you mean run?"),
    (["show", "a.jpg", "segm", "--vis", "u", "-o", "x.png"], "two visualizations given"),
])  # fmt: skip
def test_usage_mistakes_get_one_line_that_says_what_to_type(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len([line for line in err.splitlines() if line.startswith("arsdk: error:")]) == 1


def test_every_command_shows_an_example_in_its_help():
    from arsdk.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert {"run", "demo", "dump", "show", "view", "stats", "web", "keys", "info", "weights", "bench", "cluster"} <= set(commands)
    for name, sub in commands.items():
        assert (sub.epilog or "").startswith(f"example: arsdk {name}"), name


# -- outputs that follow the input ------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp"])
def test_one_image_in_gives_one_image_out(tmp_path, messi_bgr, ext):
    image = tmp_path / "in.png"
    cv2.imwrite(str(image), messi_bgr)
    out = tmp_path / "out" / f"swapped{ext}"
    assert main(["run", str(image), "--effect", "segm", "-o", str(out)]) == 0
    written = cv2.imread(str(out))
    assert written is not None and written.shape == messi_bgr.shape


def test_outputs_follow_the_input(tmp_path, messi_bgr, sample_clip, capsys):
    image = tmp_path / "in.png"
    cv2.imwrite(str(image), messi_bgr)
    folder = tmp_path / "frames"
    folder.mkdir()
    for k in range(3):
        cv2.imwrite(str(folder / f"{k}.png"), messi_bgr)
    # an image into a folder; a folder into a video; a video into a folder
    assert main(["run", str(image), "--no-iuv", "-o", str(tmp_path / "one")]) == 0
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["000000.png"]
    assert main(["run", str(folder), "--no-iuv", "-o", str(tmp_path / "folder.avi")]) == 0
    assert int(cv2.VideoCapture(str(tmp_path / "folder.avi")).get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    assert main(["run", str(sample_clip), "--no-iuv", "--max-frames", "2", "-o", str(tmp_path / "video")]) == 0
    assert len(list((tmp_path / "video").glob("*.png"))) == 2
    capsys.readouterr()
    # what cannot hold the result is a usage error that names what can
    assert main(["run", str(image), "-o", str(tmp_path / "x.mp4")]) == 2
    assert "one image in gives an image" in capsys.readouterr().err
    assert main(["run", str(sample_clip), "-o", str(tmp_path / "x.png")]) == 2
    assert "write a video" in capsys.readouterr().err


def test_dash_writes_mjpeg_to_stdout_for_a_pipe(sample_clip):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "arsdk", "run", str(sample_clip), "--no-iuv", "--max-frames", "3",
                           "-o", "-"], capture_output=True, env=env, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    data = proc.stdout
    starts = [k for k in range(len(data) - 1) if data[k] == 0xFF and data[k + 1] == 0xD8 and data[k + 2 : k + 3] == b"\xff"]
    assert len(starts) == 3 and data.endswith(b"\xff\xd9")
    first = cv2.imdecode(np.frombuffer(data[starts[0] : starts[1]], np.uint8), cv2.IMREAD_COLOR)
    assert first.shape == (576, 768, 3)


# -- quiet start-up ----------------------------------------------------------------------------------------------


def test_a_run_prints_only_arsdks_own_lines(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for key in ("GLOG_minloglevel", "TF_CPP_MIN_LOG_LEVEL"):
        env.pop(key, None)
    out = tmp_path / "swapped.png"
    proc = subprocess.run([sys.executable, "-m", "arsdk", "run", str(data_file("basketball1.png")), "--effect", "swap",
                           "-o", str(out)], capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("arsdk: ") for line in lines), lines
    assert not any(word in proc.stderr for word in ("XNNPACK", "absl", "EGL", "W0000", "I0000"))
    assert cv2.imread(str(out)) is not None
    # -vv brings the native libraries' lines back
    proc = subprocess.run([sys.executable, "-m", "arsdk", "-vv", "run", str(data_file("basketball1.png")), "--no-iuv",
                           "-o", str(out)], capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert proc.returncode == 0 and any(not line.startswith("arsdk") for line in proc.stderr.splitlines() if line.strip())


def test_native_writes_are_silenced_python_writes_kept_and_nesting_restores(capfd):
    from arsdk.cli.quiet import NativeLogSilenced

    with NativeLogSilenced():
        with NativeLogSilenced():
            os.write(2, b"native inner\n")
        os.write(2, b"native outer\n")
        print("python line", file=sys.stderr)
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "native" not in err and "python line" in err and "after" in err
