import numpy as np
import pytest

from studio.output.convert import FrameConverter, flatten_bgra


def rand_img(h, w, c, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def test_bgr_to_rgb_into_a_reused_buffer():
    conv = FrameConverter(8, 6, order="RGB")
    img = rand_img(6, 8, 3)
    out1 = conv.convert(img)
    assert np.array_equal(out1, img[..., ::-1])
    out2 = conv.convert(rand_img(6, 8, 3, seed=1))
    assert out2 is out1  # one buffer per resolution, not one per frame
    assert np.array_equal(out2, rand_img(6, 8, 3, seed=1)[..., ::-1])


def test_bgr_passthrough_costs_no_copy():
    conv = FrameConverter(8, 6, order="BGR")
    img = rand_img(6, 8, 3)
    assert conv.convert(img) is img


def test_resize_keeps_left_and_right():
    conv = FrameConverter(4, 2, order="BGR")  # mirroring is the compositor's alone: a sink never flips
    img = np.zeros((4, 8, 3), np.uint8)
    img[:, :4] = 200  # left half bright
    out = conv.convert(img)
    assert out.shape == (2, 4, 3)
    assert (out[:, :2] == 200).all() and (out[:, 2:] == 0).all()


def test_bgra_is_flattened_on_black_exactly():
    img = rand_img(5, 7, 4)
    img[0, 0, 3] = 0
    img[0, 1, 3] = 255
    out = np.empty((5, 7, 3), np.uint8)
    flatten_bgra(img, out)
    expected = np.rint(img[..., :3].astype(np.float64) * img[..., 3:4] / 255.0)
    assert np.abs(out.astype(int) - expected).max() <= 1
    assert (out[0, 0] == 0).all() and np.array_equal(out[0, 1], img[0, 1, :3])


def test_bgra_flattened_on_a_colour():
    img = np.zeros((2, 2, 4), np.uint8)
    img[..., :3] = (0, 0, 255)
    img[0, 0, 3] = 255
    img[0, 1, 3] = 0
    img[1, 0, 3] = 128
    out = np.empty((2, 2, 3), np.uint8)
    flatten_bgra(img, out, background=(255, 255, 255))
    assert out[0, 0].tolist() == [0, 0, 255]
    assert out[0, 1].tolist() == [255, 255, 255]
    assert np.abs(out[1, 0].astype(int) - [127, 127, 255]).max() <= 1


def test_converter_handles_bgra_to_rgb():
    conv = FrameConverter(3, 2, order="RGB")
    img = np.zeros((2, 3, 4), np.uint8)
    img[..., 0] = 255  # blue
    img[..., 3] = 255
    img[1, 2, 3] = 0
    out = conv.convert(img)
    assert out[0, 0].tolist() == [0, 0, 255] and out[1, 2].tolist() == [0, 0, 0]


def test_bad_order_is_refused():
    with pytest.raises(ValueError):
        FrameConverter(2, 2, order="YUV")
