"""The one cutout function for still images, shared by `studio process`, `studio eval`, the kiosk and the service:
optional preprocessing (flicker, white balance) -> segment -> refine the mask to the image's size.

``cut_out`` works on any Segmenter (the caller opens it with ``studio.inference.open_segmenter`` and keeps it for many
images); ``Cutter`` is the convenience that opens one for a model name and closes it when done."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from studio.config.settings import RefineSettings
from studio.core.kinds import Quality

QUALITIES = Quality.values()  # fast: one look with one model; best: studio.stills.quality

# Stills have no previous frame: edge-aware upsampling with the image as guide, no temporal smoothing.
STILL_REFINE = RefineSettings(smoothing=0.0)


@dataclass(frozen=True)
class StillPrep:
    """Fixes for shop lighting applied before segmentation (what is cut out and saved is the fixed picture)."""

    flicker: bool = False  # banding from mains-powered lights under a rolling shutter
    white_balance: bool = False
    wb_roi: tuple[int, int, int, int] | None = None  # x, y, w, h of something grey/white; None: the whole picture
    wb_method: str = "grey-world"


@dataclass(frozen=True)
class Cutout:
    image: np.ndarray  # HxWx3 BGR after preprocessing: the picture the alpha belongs to
    alpha: np.ndarray  # HxW float32 [0, 1] at the image's size
    model_input_size: tuple[int, int]  # (width, height) the model saw
    seconds: float  # preprocessing + segmentation + refinement
    notes: list[str] = field(default_factory=list)  # what preprocessing did ("flicker 11.9 rows 0.041", ...)

    def rgba(self) -> np.ndarray:
        """Straight (not premultiplied) RGBA uint8, for display and PNG/WebP."""
        from studio.compose.blend import to_rgba

        return to_rgba(self.image, self.alpha)


def prepare(image_bgr: np.ndarray, prep: StillPrep | None) -> tuple[np.ndarray, list[str]]:
    """The preprocessed picture and a note per fix applied; the input is never modified."""
    notes: list[str] = []
    if prep is None or not (prep.flicker or prep.white_balance):
        return image_bgr, notes
    from studio.stills.preprocess import remove_flicker, white_balance

    out = image_bgr
    if prep.flicker:
        out, est = remove_flicker(out)
        if est.detected:
            notes.append(f"flicker {est.period_rows:.1f} rows {est.amplitude:.3f}")
    if prep.white_balance:
        out = white_balance(out, prep.wb_roi, prep.wb_method)
        notes.append("white_balance")
    return out, notes


def cut_out(segmenter, image_bgr: np.ndarray, *, prep: StillPrep | None = None,
            refine: RefineSettings | None = STILL_REFINE) -> Cutout:
    """Cut out one picture. ``refine=None`` gives the raw model mask, bilinearly resized to the picture."""
    import cv2

    from studio.compose.refine import refine_still

    t0 = time.perf_counter()
    image, notes = prepare(image_bgr, prep)
    seg = segmenter.segment(image)
    if refine is not None:
        alpha = refine_still(seg.alpha, image, refine)
    else:
        h, w = image.shape[:2]
        alpha = cv2.resize(seg.alpha, (w, h), interpolation=cv2.INTER_LINEAR)
    return Cutout(image, alpha, seg.input_size, time.perf_counter() - t0, notes)


def open_still_segmenter(model: str, backend: str = "auto", device: str = "auto", *, quality: str = "fast",
                         factory=None, backend_options: dict | None = None):
    """What ``cut_out`` takes, for a quality: "fast" is ``open_segmenter``'s Segmenter; "best" a FusedSegmenter
    (studio.stills.quality) that opens its models once. ``factory``: open_segmenter's backend factory hook."""
    from studio.inference import open_segmenter

    if quality not in QUALITIES:
        from studio.core.errors import StudioError

        raise StudioError(f"unknown quality {quality!r}", hint=f"use one of {', '.join(QUALITIES)}")
    if quality == Quality.BEST:
        from studio.stills.quality import FusedSegmenter

        opener = None if factory is None else (lambda m, b, d: open_segmenter(m, b, d, factory=factory))
        return FusedSegmenter(model, backend, device, opener=opener)
    return open_segmenter(model, backend, device, factory=factory, backend_options=backend_options)


class Cutter:
    """Opens ``model`` once on ``backend``/``device``; ``cut`` cuts out one picture. Use as a context manager (or
    call close) so the runtime session is released. ``quality="best"`` opens a FusedSegmenter instead
    (studio.stills.quality: several looks and models fused, ~1 s a picture on two cores)."""

    def __init__(self, model: str, backend: str = "auto", device: str = "auto", *,
                 refine: RefineSettings | None = None, quality: str = "fast", refine_mode: str = "guided",
                 backend_options: dict | None = None, edge_px: int = 0) -> None:
        self.quality = quality
        # backend_options: a precision plan's run-time options (studio.inference.precision.backend_options)
        self.segmenter = open_still_segmenter(model, backend, device, quality=quality,
                                              backend_options=backend_options)
        self.spec = self.segmenter.spec
        self.report = self.segmenter.report
        if refine_mode not in ("guided", "none"):
            from studio.core.errors import StudioError

            raise StudioError(f"unknown refinement {refine_mode!r}", hint="use guided or none")
        # None: the raw model mask, bilinearly resized (studio process --refine none)
        self.refine = None if refine_mode == "none" else refine if refine is not None else STILL_REFINE
        if self.refine is not None and edge_px:
            import dataclasses

            self.refine = dataclasses.replace(self.refine, edge_px=edge_px)
            self.refine.validate()

    @classmethod
    def for_batch(cls, model: str, backend: str, device: str, opts, precision: str | None = None) -> "Cutter":
        """The Cutter a batch's options ask for (studio.stills.batch.BatchOptions: quality, refine, edge_px),
        with ``precision``'s run-time options: every engine (sequential, overlap, watch, Ray) opens it this way."""
        from studio.stills.engine import plan_options

        return cls(model, backend, device, quality=opts.quality, refine_mode=opts.refine, edge_px=opts.edge_px,
                   backend_options=plan_options(precision))

    @property
    def backend_label(self) -> str:
        return self.segmenter.backend_label

    def cut(self, image_bgr: np.ndarray, *, refine: bool = True, prep: StillPrep | None = None) -> Cutout:
        return cut_out(self.segmenter, image_bgr, prep=prep, refine=self.refine if refine else None)

    def close(self) -> None:
        self.segmenter.close()

    def __enter__(self) -> "Cutter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
