"""Texture atlas layout, visualizers and ``arsdk show``."""

import cv2
import numpy as np
import pytest

from arsdk import ConfigError, Frame, InputError
from arsdk.cli import main
from arsdk.densepose.atlas import TextureAtlas, apply_atlas
from arsdk.densepose.parts import part_tile_origin
from arsdk.densepose.visualize import VISUALIZERS, TextureVisualizer, make_visualizers
from arsdk.types import PersonIUV


def _checker_atlas(n: int = 40) -> TextureAtlas:
    """Every tile a different colour, with a white square in its top-left quarter."""
    tiles = np.zeros((24, n, n, 4), np.uint8)
    for p in range(24):
        tiles[p, ..., :3] = ((p * 37) % 256, (p * 91) % 256, (p * 53 + 60) % 256)
        tiles[p, : n // 2, : n // 2, :3] = 255
        tiles[p, ..., 3] = 255
    return TextureAtlas(tiles)


@pytest.mark.parametrize(("part", "u", "v"), [(1, 0.0, 1.0), (6, 1.0, 0.0), (7, 0.5, 0.5), (24, 0.25, 0.8)])
def test_atlas_image_follows_densepose_layout(part, u, v):
    n = 50
    tiles = np.zeros((24, n, n, 4), np.uint8)
    x, y = round(u * (n - 1)), round((1 - v) * (n - 1))
    tiles[part - 1, y, x] = (10, 20, 30, 255)
    image = TextureAtlas(tiles).to_image()
    assert image.shape == (6 * n, 4 * n, 4)
    row, col = part_tile_origin(part, n)
    assert (row, col) == (((part - 1) % 6) * n, ((part - 1) // 6) * n)  # column-major tiles
    assert tuple(image[row + y, col + x]) == (10, 20, 30, 255)
    assert np.count_nonzero(image[..., 3]) == 1
    np.testing.assert_array_equal(TextureAtlas.from_image(image).tiles_bgra, tiles)


def test_three_channel_atlas_takes_alpha_from_non_black_pixels(tmp_path):
    image = np.zeros((120, 80, 3), np.uint8)
    image[:20, :20] = (0, 0, 255)
    path = tmp_path / "atlas.png"
    cv2.imwrite(str(path), image)
    atlas = TextureAtlas.load(path)
    assert atlas.tile_size == 20
    assert (atlas.tiles_bgra[0, ..., 3] == 255).all() and (atlas.tiles_bgra[1:, ..., 3] == 0).all()


@pytest.mark.parametrize(
    ("shape", "error"),
    [((100, 80, 3), "6N pixels high and 4N wide"), ((120, 60, 3), "6N pixels high and 4N wide")],
)
def test_atlas_of_wrong_proportions_is_refused(shape, error):
    with pytest.raises(ConfigError, match=error):
        TextureAtlas.from_image(np.zeros(shape, np.uint8))


def test_atlas_file_that_is_not_an_image_is_refused(tmp_path):
    path = tmp_path / "atlas.png"
    path.write_text("nope")
    with pytest.raises(InputError, match="cannot read the texture atlas"):
        TextureAtlas.load(path)


def test_apply_atlas_paints_only_the_persons_pixels_and_keeps_the_input():
    image = np.full((20, 30, 3), 50, np.uint8)
    part = np.zeros((10, 10), np.uint8)
    part[2:8, 3:7] = 2
    uv = np.zeros((10, 10, 2), np.float32)
    uv[part > 0] = (0.9, 0.9)  # U 0.9 is the right half, V 0.9 the top rows: the coloured, non-white texels
    iuv = PersonIUV((5, 5, 15, 15), part, uv)
    atlas = _checker_atlas()
    out = apply_atlas(image, [iuv], atlas)
    assert (image == 50).all(), "the input is not modified"
    painted = out[5:15, 5:15][part > 0]
    expected = atlas.tiles_bgra[1, 4, 36, :3]
    assert (np.abs(painted.astype(int) - expected.astype(int)) <= 1).all()
    untouched = np.ones((20, 30), bool)
    untouched[5:15, 5:15][part > 0] = False
    assert (out[untouched] == 50).all()
    # shading keeps the frame's light and shadow: a darker frame gives a darker texture
    dark = image.copy()
    dark[5:15, 5:10] = 20
    shaded = apply_atlas(dark, [iuv], atlas, shading=1.0)
    assert shaded[7, 8].sum() < shaded[7, 11].sum()


def test_every_visualizer_returns_a_new_image_that_marks_the_people(image_estimator, messi_bgr):
    persons = image_estimator.infer(Frame(messi_bgr, 0, 0.0))
    person_pixels = np.zeros(messi_bgr.shape[:2], bool)
    x0, y0, x1, y1 = persons[0].iuv.xyxy
    person_pixels[y0:y1, x0:x1] = persons[0].iuv.part_index > 0
    for name in VISUALIZERS:
        (visualizer,) = make_visualizers([name], _checker_atlas())
        out = visualizer.visualize(messi_bgr, persons)
        assert out.shape == messi_bgr.shape and out is not messi_bgr, name
        changed = np.any(out != messi_bgr, axis=2)
        if name == "bbox":  # an outline: the box's edge changes, the inside stays
            bx0, by0, bx1, by1 = np.round(persons[0].box_xyxy).astype(int)
            assert changed[by0 + 20 : by1 - 20, bx0].mean() > 0.9 and not changed[by0 + 20 : by1 - 20, bx0 + 20].any()
        else:
            assert changed[person_pixels].mean() > 0.05, name
    textured = TextureVisualizer(_checker_atlas()).visualize(messi_bgr, persons)
    assert np.any(textured[person_pixels] != messi_bgr[person_pixels], axis=1).mean() > 0.9


def test_unknown_visualization_and_texture_without_atlas_are_usage_errors():
    with pytest.raises(ConfigError, match="unknown visualization 'sgem'"):
        make_visualizers(["sgem"])
    with pytest.raises(ConfigError, match="needs an atlas"):
        make_visualizers(["texture"])


def test_show_cli_writes_the_visualization(tmp_path, capsys):
    from tests.conftest import data_file

    atlas_path = tmp_path / "atlas.png"
    _checker_atlas().save(atlas_path)
    out = tmp_path / "messi_texture.png"
    code = main(["show", str(data_file("messi5.jpg")), "--vis", "texture,contour,bbox", "--atlas", str(atlas_path),
                 "--out", str(out)])  # fmt: skip
    assert code == 0 and f"arsdk: visualization written to {out.resolve()}" in capsys.readouterr().err
    assert cv2.imread(str(out)).shape == (342, 548, 3)
    assert main(["show", str(data_file("messi5.jpg")), "--vis", "texture", "--out", str(out)]) == 2
    assert "needs an atlas" in capsys.readouterr().err
    assert main(["show", str(data_file("messi5.jpg")), "--out", str(tmp_path / "x.mp4")]) == 2
    assert "one image in gives an image" in capsys.readouterr().err


def test_show_on_a_video_writes_a_video(tmp_path, sample_clip):
    out = tmp_path / "segm.mp4"
    assert main(["show", str(sample_clip), "--vis", "segm", "--out", str(out), "--max-frames", "3"]) == 0
    assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == 3
