import hashlib

import numpy as np
import pytest

from studio.core.errors import ModelError
from studio.models import ModelRegistry, choose_input_size, default_registry
from studio.models.processing import Preprocessor, to_alpha
from studio.models.resolution import dynamic_input_size
from studio.models.spec import ModelSpec


def _spec(**kw):
    base = dict(name="m", kind="object", file="m.onnx", licence="MIT", source="test")
    base.update(kw)
    return ModelSpec(**base)


def test_registry_lists_embedded_and_download_models():
    reg = default_registry()
    for name in ("selfie", "selfie-landscape", "u2netp"):
        spec = reg.get(name)
        assert spec.embedded and spec.licence == "Apache-2.0"
    assert reg.get("selfie-landscape").input_size == (256, 144)
    big = reg.get("rmbg-2.0")
    assert not big.embedded and big.download is not None and not big.commercial_use
    with pytest.raises(ModelError, match="unknown model"):
        reg.get("nope")


def test_bad_spec_values_are_named():
    with pytest.raises(ModelError, match="layout"):
        _spec(layout="NWHC")
    with pytest.raises(ModelError, match="std"):
        _spec(std=(1.0, 0.0, 1.0))


def _write_registry(tmp_path, sha):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.onnx").write_bytes(b"model-bytes")
    (tmp_path / "models" / "models.toml").write_text(
        f'[models.m]\nkind = "object"\nfile = "m.onnx"\nlicence = "MIT"\nsource = "t"\nsha256 = "{sha}"\n')
    return tmp_path


def test_resolve_checks_sha256(tmp_path, monkeypatch):
    good = hashlib.sha256(b"model-bytes").hexdigest()
    monkeypatch.setenv("STUDIO_RESOURCES_DIR", str(_write_registry(tmp_path, good)))
    reg = ModelRegistry.load()
    spec, path = reg.resolve("m")
    assert path.read_bytes() == b"model-bytes"
    path.write_bytes(b"tampered!!!")
    with pytest.raises(ModelError, match="wrong checksum"):
        reg.resolve("m")
    path.unlink()
    with pytest.raises(ModelError, match="missing"):
        reg.resolve("m")


def test_adaptive_resolution_policy():
    target = 1024 * 768
    # within 70-130 % of the target: kept, rounded to the stride
    assert dynamic_input_size(1024, 768, target, 32) == (1024, 768)
    assert dynamic_input_size(1100, 800, target, 32) == (1088, 800)
    # above: scaled down with the aspect kept
    w, h = dynamic_input_size(3840, 2160, target, 32)
    assert abs(w * h - target) / target < 0.1 and abs(w / h - 16 / 9) < 0.05
    assert w % 32 == 0 and h % 32 == 0
    # small inputs are never upscaled
    assert dynamic_input_size(640, 480, target, 32) == (640, 480)
    assert dynamic_input_size(650, 470, target, 32)[0] <= 650
    # fixed models always get their own size; a thermal cap lowers the dynamic target
    assert choose_input_size(1920, 1080, _spec(input_size=(320, 320))) == (320, 320)
    dyn = _spec(size_policy="dynamic", stride=32)
    capped = choose_input_size(1920, 1080, dyn, max_area=512 * 288)
    assert capped[0] * capped[1] <= 512 * 288 * 1.15


def test_preprocessor_normalises_into_reused_buffer():
    spec = _spec(input_size=(4, 2), mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), layout="NCHW", color="RGB")
    img = np.zeros((2, 4, 3), np.uint8)
    img[..., 0] = 255  # blue in BGR
    pre = Preprocessor(spec)
    t = pre(img, (4, 2))
    assert t.shape == (1, 3, 2, 4) and t.dtype == np.float32
    assert np.allclose(t[0, 2], 1.0) and np.allclose(t[0, 0], -1.0)  # RGB order: B is the last channel
    assert pre(img, (4, 2)) is t  # same buffer while the size holds
    nhwc = Preprocessor(_spec(layout="NHWC", color="BGR"))(img, (8, 4))
    assert nhwc.shape == (1, 4, 8, 3) and np.allclose(nhwc[0, ..., 0], 1.0)


def test_to_alpha_layouts_and_activations():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    p = (x + 3) / 6  # already a probability
    assert to_alpha(p[None, None], "none").shape == (3, 4)
    assert to_alpha(p[None, ..., None], "none").shape == (3, 4)
    s = to_alpha(x[None, None], "sigmoid")
    assert np.isclose(s[0, 0], 1 / (1 + np.exp(3)))
    m = to_alpha(x, "minmax")
    assert m.min() == 0.0 and m.max() == 1.0
    assert to_alpha(p * 1.02 - 0.01, "none").min() == 0.0  # float overshoot of a probability: clipped


@pytest.mark.parametrize("bad,activation", [(np.nan, "sigmoid"), (np.inf, "none"), (-np.inf, "minmax"),
                                            (3.0, "none")])
def test_to_alpha_refuses_an_output_that_is_no_mask(bad, activation):
    """Issue 8: NaN went through to the picture (and stayed in the smoothing); Inf and wild values were clipped into
    a plausible-looking mask. Each is an InvalidModelOutput for the caller to drop."""
    from studio.models.processing import InvalidModelOutput

    out = np.full((1, 1, 8, 8), 0.5, np.float32)
    out[0, 0, 3, 3] = bad
    with pytest.raises(InvalidModelOutput):
        to_alpha(out, activation)


def test_resize_policy_area_averages_and_linear_samples():
    with pytest.raises(ModelError, match="resize"):
        _spec(resize="cubic")
    stripes = np.zeros((48, 48, 3), np.uint8)  # 3:1, so bilinear lands on pixel centres
    stripes[:, ::2] = 255  # one-pixel stripes: averaging gives grey, sampling does not
    area = Preprocessor(_spec(resize="area"))(stripes, (16, 16))
    linear = Preprocessor(_spec(resize="linear"))(stripes, (16, 16))
    assert area.std() < 0.2  # averaged towards grey
    assert linear.std() > 0.45  # sampled: still black and white
    assert default_registry().get("selfie").resize == "linear"
