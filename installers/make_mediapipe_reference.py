"""Make MediaPipe 0.10.14 reference outputs for tests/models/test_tflite_onnx.py (run once; results are committed).

mediapipe 0.10.14 needs numpy<2, so it never goes into the project venv. Use a throwaway one:

    python3.11 -m venv /tmp/mpvenv
    /tmp/mpvenv/bin/pip install mediapipe==0.10.14 "numpy<2"
    /tmp/mpvenv/bin/python installers/make_mediapipe_reference.py            # from the repository root

Two kinds of reference, for both models (general 256x256 and landscape 256x144):

raw    the model's output tensor for a given input tensor, from MediaPipe's Tasks ImageSegmenter running the .tflite
       file directly on an image exactly the model's input size (so its resize steps are identities and the input
       tensor is pixel / 255). The same input through the SelfieSegmentation solution is checked to agree.
frame  the frame-size mask from mediapipe.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0 / 1).

Inputs are synthetic drawings (stored in the fixture) and real images from ../shared/data (never stored: the fixture
records how to derive the input with numpy only, plus a sha256 of the decoded pixels so the test can tell when its
decoder produced different pixels). Outputs are stored quantised to uint16 (step 1/65535).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODELS = {
    # name: (model_selection, tflite path inside the mediapipe package, input height, input width)
    "general": (0, "modules/selfie_segmentation/selfie_segmentation.tflite", 256, 256),
    "landscape": (1, "modules/selfie_segmentation/selfie_segmentation_landscape.tflite", 144, 256),
}
# Real sources used (paths relative to the shared data folder); chosen by eye: one or two people, varied scenes.
REAL_IMAGES = ["portraits/img/94.jpg", "portraits/img/262.jpg"]
REAL_VIDEO_FRAMES = [("video/asl/again.mkv", 40), ("video/asl/help.mkv", 20)]
QUANT = 65535.0


def rgb_sha256(rgb: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(rgb, np.uint8).tobytes()).hexdigest()


def load_source(data_dir: Path, spec: dict) -> np.ndarray:
    """Decode a real source to RGB uint8 (mirrored in the test)."""
    import cv2

    path = data_dir / spec["path"]
    if "frame" in spec:
        cap = cv2.VideoCapture(str(path))
        try:
            for _ in range(spec["frame"] + 1):
                ok, bgr = cap.read()
                if not ok:
                    raise RuntimeError(f"{path}: cannot read frame {spec['frame']}")
        finally:
            cap.release()
    else:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise RuntimeError(f"cannot read {path}")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def block_downsample(rgb: np.ndarray, out_h: int, out_w: int) -> tuple[np.ndarray, list[int]]:
    """Centre crop + integer box filter: a resize that numpy reproduces bit for bit anywhere (mirrored in the test)."""
    h, w = rgb.shape[:2]
    k = min(h // out_h, w // out_w)
    if k < 1:
        raise ValueError(f"image {w}x{h} is smaller than {out_w}x{out_h}")
    top, left = (h - out_h * k) // 2, (w - out_w * k) // 2
    crop = rgb[top : top + out_h * k, left : left + out_w * k].astype(np.float64)
    small = crop.reshape(out_h, k, out_w, k, 3).mean(axis=(1, 3))
    return np.round(small).astype(np.uint8), [top, left, k]


def draw_person(height: int, width: int) -> np.ndarray:
    """A deterministic, person-like RGB scene: gradient wall, furniture, head, hair, neck, shoulders."""
    import cv2

    s = min(height, width) / 256.0
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = (150 + 60 * y + 0 * x).astype(np.uint8)
    img[..., 1] = (160 + 40 * x + 0 * y).astype(np.uint8)
    img[..., 2] = (185 - 50 * y + 0 * x).astype(np.uint8)
    cx, cy = width // 2, height // 2
    cv2.rectangle(img, (int(0.03 * width), int(0.15 * height)), (int(0.22 * width), int(0.75 * height)), (70, 90, 140), -1)
    cv2.rectangle(img, (int(0.80 * width), int(0.25 * height)), (int(0.97 * width), int(0.55 * height)), (40, 120, 200), -1)
    # Shoulders and torso (shirt), neck, head, hair, eyes and mouth.
    torso = np.array(
        [[cx - 95 * s, height], [cx - 88 * s, cy + 48 * s], [cx - 30 * s, cy + 28 * s], [cx + 30 * s, cy + 28 * s],
         [cx + 88 * s, cy + 48 * s], [cx + 95 * s, height]], np.int32)
    cv2.fillPoly(img, [torso], (30, 60, 120), lineType=cv2.LINE_AA)
    cv2.rectangle(img, (int(cx - 14 * s), int(cy + 5 * s)), (int(cx + 14 * s), int(cy + 35 * s)), (205, 160, 130), -1)
    cv2.ellipse(img, (cx, int(cy - 28 * s)), (int(42 * s), int(52 * s)), 0, 0, 360, (225, 180, 150), -1, cv2.LINE_AA)
    cv2.ellipse(img, (cx, int(cy - 58 * s)), (int(46 * s), int(30 * s)), 0, 180, 360, (60, 40, 25), -1, cv2.LINE_AA)
    for ex in (-16, 16):
        cv2.circle(img, (int(cx + ex * s), int(cy - 32 * s)), max(1, int(4 * s)), (40, 30, 30), -1, cv2.LINE_AA)
    cv2.ellipse(img, (cx, int(cy - 8 * s)), (int(14 * s), int(5 * s)), 0, 0, 180, (150, 60, 60), -1, cv2.LINE_AA)
    return img


def quantise(mask: np.ndarray) -> np.ndarray:
    return np.round(np.clip(mask, 0.0, 1.0) * QUANT).astype(np.uint16)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "fixtures" / "mediapipe")
    args = parser.parse_args(argv)

    import mediapipe as mp
    from mediapipe.tasks import python as mp_tasks
    from mediapipe.tasks.python import vision

    package_dir = Path(mp.__file__).parent
    args.out.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    manifest: dict = {
        "mediapipe_version": mp.__version__,
        "quantisation": "uint16, value = round(clip(mask, 0, 1) * 65535)",
        "models": {},
        "raw": [],
        "frame": [],
    }

    def segmenter(model_path: Path):
        options = vision.ImageSegmenterOptions(
            base_options=mp_tasks.BaseOptions(model_asset_path=str(model_path)),
            output_confidence_masks=True,
            output_category_mask=False,
        )
        return vision.ImageSegmenter.create_from_options(options)

    def solution_mask(selection: int, rgb: np.ndarray) -> np.ndarray:
        with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=selection) as seg:
            return np.array(seg.process(rgb).segmentation_mask, np.float32)

    for model, (selection, rel, mh, mw) in MODELS.items():
        tflite_path = package_dir / rel
        manifest["models"][model] = {
            "tflite": f"mediapipe/{rel}",
            "sha256": hashlib.sha256(tflite_path.read_bytes()).hexdigest(),
            "input_hw": [mh, mw],
        }
        cases: list[tuple[str, np.ndarray, dict]] = [(f"{model}_synthetic", draw_person(mh, mw), {"stored": True})]
        for rel_img in REAL_IMAGES:
            spec = {"path": rel_img}
            src = load_source(args.data, spec)
            small, crop = block_downsample(src, mh, mw)
            spec.update(sha256=rgb_sha256(src), crop_top_left_k=crop, stored=False)
            cases.append((f"{model}_{Path(rel_img).stem}", small, spec))
        for rel_vid, frame in REAL_VIDEO_FRAMES:
            spec = {"path": rel_vid, "frame": frame}
            src = load_source(args.data, spec)
            small, crop = block_downsample(src, mh, mw)
            spec.update(sha256=rgb_sha256(src), crop_top_left_k=crop, stored=False)
            cases.append((f"{model}_{Path(rel_vid).stem}{frame}", small, spec))

        with segmenter(tflite_path) as seg:
            for key, rgb, spec in cases:
                result = seg.segment(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)))
                raw = np.array(result.confidence_masks[0].numpy_view(), np.float32)
                if raw.shape != (mh, mw):
                    raise RuntimeError(f"{key}: segmenter returned {raw.shape}, expected {(mh, mw)}")
                via_solution = solution_mask(selection, rgb)
                agreement = float(np.abs(via_solution - raw).max())
                arrays[f"raw/{key}/output"] = quantise(raw)
                if spec["stored"]:
                    arrays[f"raw/{key}/input"] = rgb
                manifest["raw"].append(
                    {"key": key, "model": model, "source": spec, "tasks_vs_solution_max_abs": agreement}
                )
                print(f"raw   {key}: mask mean {raw.mean():.4f}, tasks vs solution max |d| {agreement:.2e}")

        frames: list[tuple[str, np.ndarray, dict]] = [("synthetic1280x720", draw_person(720, 1280), {"stored": True})]
        for rel_img in REAL_IMAGES:
            spec = {"path": rel_img}
            src = load_source(args.data, spec)
            spec.update(sha256=rgb_sha256(src), stored=False)
            frames.append((Path(rel_img).stem, src, spec))
        rel_vid, frame = REAL_VIDEO_FRAMES[0]
        spec = {"path": rel_vid, "frame": frame}
        src = load_source(args.data, spec)
        spec.update(sha256=rgb_sha256(src), stored=False)
        frames.append((f"{Path(rel_vid).stem}{frame}", src, spec))
        for name, rgb, spec in frames:
            key = f"{model}_{name}"
            mask = solution_mask(selection, rgb)
            if mask.shape != rgb.shape[:2]:
                raise RuntimeError(f"{key}: mask {mask.shape} is not frame-size {rgb.shape[:2]}")
            arrays[f"frame/{key}/output"] = quantise(mask)
            if spec["stored"] and f"frame/synthetic/input" not in arrays:
                arrays["frame/synthetic/input"] = rgb
            manifest["frame"].append({"key": key, "model": model, "source": spec,
                                      "input": "frame/synthetic/input" if spec["stored"] else None})
            print(f"frame {key}: {rgb.shape[1]}x{rgb.shape[0]}, mask mean {mask.mean():.4f}")

    np.savez_compressed(args.out / "references.npz", **arrays)
    (args.out / "references.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    size = sum(p.stat().st_size for p in args.out.iterdir() if p.is_file())
    print(f"wrote {args.out} ({size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
