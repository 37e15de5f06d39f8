"""The compositor's effects on real footage: golden images, swap colours, label placement, atlas filling."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from arsdk import ConfigError, Frame
from arsdk.compositor import Compositor, LabelsEffect, SwapEffect, TextureEffect, fill_atlas, parse_effect, shipped_atlases
from arsdk.densepose.atlas import AtlasAccumulator, TextureAtlas
from tests.golden_cases import CASES, persons_of, render_case

GOLDEN = Path(__file__).resolve().parent / "golden"


def _psnr(a, b):
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.mark.parametrize(("image_name", "effect"), CASES)
def test_effect_matches_its_golden_image(image_name, effect):
    golden = cv2.imread(str(GOLDEN / f"{Path(image_name).stem}_{effect.split(':')[0]}.png"))
    out = render_case(image_name, effect)
    assert out.shape == golden.shape
    assert _psnr(out, golden) >= 32.0
    image, _ = persons_of(image_name)
    if effect != "swap" or image_name != "messi5.jpg":  # one person has nobody to swap with
        assert np.any(out != image), "the effect changes the image"


def _torso_mean(image, person):
    x0, y0, x1, y1 = person.iuv.xyxy
    torso = np.isin(person.iuv.part_index, (1, 2))
    return image[y0:y1, x0:x1][torso].astype(float).mean(axis=0)


def test_swap_gives_each_person_the_others_colours():
    image, persons = persons_of("basketball1.png")
    assert len(persons) == 2
    swapped = SwapEffect(shading=0.0).apply(image, Frame(image, 0, 0.0), persons)
    a, b = persons
    before_a, before_b = _torso_mean(image, a), _torso_mean(image, b)
    after_a, after_b = _torso_mean(swapped, a), _torso_mean(swapped, b)
    for before_own, before_other, after in ((before_a, before_b, after_a), (before_b, before_a, after_b)):
        assert np.linalg.norm(after - before_other) < np.linalg.norm(after - before_own), "closer to the other"
        gap = before_other - before_own
        moved = float((after - before_own) @ gap / (gap @ gap))
        assert moved >= 0.4, f"moved {moved:.2f} of the way to the other person's colour"


def test_swap_with_a_reference_puts_it_on_everyone():
    image, persons = persons_of("basketball1.png")
    reference = TextureAtlas(np.concatenate([np.full((24, 16, 16, 3), (0, 0, 255), np.uint8),
                                             np.full((24, 16, 16, 1), 255, np.uint8)], axis=-1))  # fmt: skip
    out = SwapEffect(reference, shading=0.0).apply(image, Frame(image, 0, 0.0), persons)
    for person in persons:
        assert np.allclose(_torso_mean(out, person), (0, 0, 255), atol=2)


def test_labels_never_overlap_and_stay_inside_the_image(vtest200_bgr, image_estimator):
    persons = image_estimator.infer(Frame(vtest200_bgr, 0, 0.0))
    persons = [p.replace(track_id=i + 1, attributes={"time_on_screen_s": 3.0, "speed_m_s": 1.2,
                                                     "direction": "left", "facing": "towards", "pose": []})
               for i, p in enumerate(persons)]  # fmt: skip
    effect = LabelsEffect()
    out = effect.apply(vtest200_bgr, Frame(vtest200_bgr, 0, 0.0), persons)
    rects = effect.placed
    assert len(rects) == len(persons) >= 6
    h, w = vtest200_bgr.shape[:2]
    for i, a in enumerate(rects):
        assert 0 <= a[0] < a[2] <= w and 0 <= a[1] < a[3] <= h
        for b in rects[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), "labels overlap"
    assert np.any(out != vtest200_bgr)
    custom = LabelsEffect(text=lambda p: [f"player {p.track_id}"])
    custom.apply(vtest200_bgr, Frame(vtest200_bgr, 0, 0.0), persons[:1])
    assert len(custom.placed) == 1


def test_texture_effect_only_on_chosen_tracks():
    image, persons = persons_of("basketball1.png")
    persons = [p.replace(track_id=i + 1) for i, p in enumerate(persons)]
    atlas = TextureAtlas.load(shipped_atlases()["costume"])
    out = TextureEffect(atlas, track_ids=[2], shading=0.0).apply(image, Frame(image, 0, 0.0), persons)
    assert np.allclose(_torso_mean(out, persons[0]), _torso_mean(image, persons[0]))
    assert not np.allclose(_torso_mean(out, persons[1]), _torso_mean(image, persons[1]))


def test_filled_atlas_has_no_holes_and_mirrors_unseen_parts():
    acc = AtlasAccumulator(tile_size=8)
    acc.sum_bgr[2, 1, 2] = (10, 20, 30)  # part 3 (right hand), row 1, column 2
    acc.weight[2, 1, 2] = 1.0
    acc.sum_bgr[0, :, :4] = (200, 0, 0)  # part 1 (torso back), left half seen
    acc.weight[0, :, :4] = 1.0
    atlas = fill_atlas(acc)
    assert (atlas.tiles_bgra[..., 3] == 255).all()
    assert tuple(atlas.tiles_bgra[3, 1, 8 - 1 - 2, :3]) == (10, 20, 30), "left hand from the right hand, U mirrored"
    assert (atlas.tiles_bgra[0, :, 4:, :3] == (200, 0, 0)).all(), "torso back's unseen half from its mirror"
    assert (atlas.tiles_bgra[1, :, :, :3] == (200, 0, 0)).all(), "torso front from the back"
    assert fill_atlas(AtlasAccumulator(tile_size=8)) is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [("sparkles", "unknown effect 'sparkles'"), ("texture:atlas=nope", "neither a file nor one of the shipped"),
     ("texture:shading", "must be key=value"), ("labels:colour=red", "does not take colour"),
     ("texture:ids=first", "texture ids must be")],
)  # fmt: skip
def test_bad_effect_specs_are_clear_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_effect(spec)


def test_compositor_never_modifies_the_frame():
    image, persons = persons_of("messi5.jpg")
    frame = Frame(image.copy(), 0, 0.0)
    out = Compositor([parse_effect("texture"), parse_effect("labels")]).render(frame, persons)
    assert out is not frame.image_bgr and np.array_equal(frame.image_bgr, image)
    assert Compositor([]).render(frame, persons) is not frame.image_bgr


def test_people_who_come_and_go_leave_nothing_behind():
    """500 short-lived tracks through the tracker, the swap bank and the labels: what is remembered stays
    bounded by time, not by how many people were ever seen."""
    import tracemalloc

    from arsdk import PersonTracker
    from arsdk.compositor import LabelsEffect, SwapEffect

    image, persons = persons_of("basketball1.png")
    person = persons[0].replace(track_id=None)
    tracker, swap, labels = PersonTracker(), SwapEffect(), LabelsEffect()
    frame_ms, sizes, seen = 0.0, [], set()
    tracemalloc.start()
    for life in range(500):
        for _ in range(3):  # a person lives three frames ...
            frame_ms += 100.0
            tracked = tracker.update((person,), frame_ms, None)
            seen.update(p.track_id for p in tracked if p.track_id is not None)
            frame = Frame(image, int(frame_ms // 100), frame_ms)
            labels.apply(swap.apply(image, frame, tracked), frame, tracked)
        frame_ms += 16000.0  # ... and is gone longer than the tracker keeps anyone: someone new next time
        if life in (249, 499):
            sizes.append((len(tracker.tracks), len(swap.bank), tracemalloc.get_traced_memory()[0]))
    tracemalloc.stop()
    assert len(seen) == 500
    (tracks_mid, bank_mid, bytes_mid), (tracks_end, bank_end, bytes_end) = sizes
    assert tracks_end <= tracks_mid + 1 and bank_end <= bank_mid + 1
    assert tracks_end <= 10 and bank_end <= 110
    assert bytes_end <= 1.05 * bytes_mid, "memory does not grow with the people ever seen"
