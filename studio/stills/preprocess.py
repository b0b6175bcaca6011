"""Kiosk preprocessing: flicker banding removal and white balance on a region of interest.

Flicker: under mains-powered lights (100/120 Hz brightness ripple) a rolling-shutter sensor exposes each row at a
slightly different time, which paints horizontal bands of a fixed period across the picture. The bands multiply the
brightness row by row, so in the log of the luminance row means they are an additive periodic signal on top of the
scene's own (broadband) row profile. We find a narrow spectral peak in that profile, fit the fundamental and its
second harmonic by least squares together with a smooth trend, and divide the fitted gain out of every row. Without a
clear, narrow peak nothing is changed.

White balance: gains per channel from a region the user knows to be neutral (a grey card, a white wall), by
grey-world (mean) or white-patch (bright percentile), applied to the whole image through a lookup table.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from studio.core.errors import StudioError


class PreprocessError(StudioError):
    pass


# -- flicker ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FlickerEstimate:
    detected: bool
    period_rows: float  # period of the bands in rows (0 when not detected)
    amplitude: float  # relative amplitude of the fundamental (0.05 = +-5 %)
    prominence: float  # the line in the common spectrum over its neighbourhood, times the phase coherence
    coherence: float  # 1 = every strip of columns shows the same wave (bands span the width), ~0.35 = unrelated
    gain: np.ndarray | None  # per-row multiplicative gain that was (or would be) divided out


MIN_PERIOD_ROWS = 6.0
# Fewer cycles than this over the picture cannot be told apart from the scene's own shading (a face, a horizon).
MIN_CYCLES = 6.0
STRIPS = 8
PROMINENCE = 6.0  # clean test photos reach ~4.5 at most
MIN_COHERENCE = 0.85
MIN_AMPLITUDE = 0.01
_BASELINE_BINS = 41  # running-median window for the spectral background; wide enough to ignore the line itself


def _log_profiles(image_bgr: np.ndarray, strips: int) -> tuple[np.ndarray, np.ndarray]:
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY) if image_bgr.ndim == 3 else image_bgr
    whole = np.log(np.maximum(grey.mean(axis=1, dtype=np.float64), 1.0))
    parts = np.array_split(grey, strips, axis=1)
    per_strip = np.stack([np.log(np.maximum(p.mean(axis=1, dtype=np.float64), 1.0)) for p in parts])
    return whole, per_strip


def _design(n: int, freq: float, trend_degree: int) -> np.ndarray:
    y = np.arange(n, dtype=np.float64)
    t = (y - n / 2) / (n / 2)
    cols = [t ** d for d in range(trend_degree + 1)]
    for k in (1, 2):
        cols += [np.cos(2 * np.pi * k * freq * y), np.sin(2 * np.pi * k * freq * y)]
    return np.stack(cols, axis=1)


def estimate_flicker(image_bgr: np.ndarray, *, trend_degree: int = 4) -> FlickerEstimate:
    """Look for horizontal banding; never changes the image.

    Banding multiplies whole rows, so it is the same wave, in phase, in every vertical strip of the picture; the
    scene's own row structure differs from strip to strip. The detector therefore sums the strips' complex spectra
    (coherent sum), looks for a narrow line in it against a running median of its neighbourhood, and asks that the
    strips agree in phase at that line.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    h, w = image_bgr.shape[:2]
    none = FlickerEstimate(False, 0.0, 0.0, 0.0, 0.0, None)
    if h < 2 * MIN_CYCLES * MIN_PERIOD_ROWS or w < STRIPS * 4:
        return none
    whole, strips = _log_profiles(image_bgr, STRIPS)
    t = np.linspace(-1.0, 1.0, h)
    window = np.hanning(h)
    detrended = np.stack([(p - np.polyval(np.polyfit(t, p, trend_degree), t)) * window for p in strips])
    spectra = np.fft.rfft(detrended, axis=1)
    common = np.abs(spectra.sum(axis=0))
    coherence = common / (np.abs(spectra).sum(axis=0) + 1e-12)
    half = _BASELINE_BINS // 2
    baseline = np.median(sliding_window_view(np.pad(common, half, mode="reflect"), _BASELINE_BINS), axis=1)
    score = common / (baseline + 1e-12) * coherence
    freqs = np.fft.rfftfreq(h)
    band = np.flatnonzero((freqs >= MIN_CYCLES / h) & (freqs <= 1.0 / MIN_PERIOD_ROWS))
    if band.size == 0:
        return none
    peak = band[np.argmax(score[band])]
    # Refine the frequency between bins (parabola through the log magnitudes), then fit trend + 2 harmonics.
    if 0 < peak < common.size - 1:
        a, b, c = np.log(common[peak - 1:peak + 2] + 1e-12)
        denom = a - 2 * b + c
        offset = 0.5 * (a - c) / denom if denom != 0 else 0.0
    else:
        offset = 0.0
    freq = (peak + float(np.clip(offset, -0.5, 0.5))) / h
    design = _design(h, freq, trend_degree)
    coef, *_ = np.linalg.lstsq(design, whole, rcond=None)
    periodic = design[:, trend_degree + 1:] @ coef[trend_degree + 1:]
    amplitude = float(np.hypot(coef[trend_degree + 1], coef[trend_degree + 2]))
    detected = bool(score[peak] >= PROMINENCE and coherence[peak] >= MIN_COHERENCE and amplitude >= MIN_AMPLITUDE)
    return FlickerEstimate(detected, 1.0 / freq, amplitude, float(score[peak]), float(coherence[peak]),
                           np.exp(periodic))


def remove_flicker(image_bgr: np.ndarray) -> tuple[np.ndarray, FlickerEstimate]:
    """The image with detected banding divided out (the input itself, unchanged, when none is detected)."""
    est = estimate_flicker(image_bgr)
    if not est.detected:
        return image_bgr, est
    inv = (1.0 / est.gain).astype(np.float32)[:, None, None] if image_bgr.ndim == 3 else \
        (1.0 / est.gain).astype(np.float32)[:, None]
    out = image_bgr.astype(np.float32) * inv
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), est


# -- white balance ------------------------------------------------------------------------------------------------

WB_METHODS = ("grey-world", "white-patch")


def parse_roi(text: str) -> tuple[int, int, int, int]:
    """'x,y,w,h' -> a tuple of ints (pixels)."""
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise PreprocessError(f"bad region {text!r}", hint="give x,y,w,h in pixels, e.g. 10,10,200,100") from None
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        raise PreprocessError(f"bad region {text!r}", hint="x and y must be >= 0, w and h > 0")
    return x, y, w, h


def white_balance_gains(image_bgr: np.ndarray, roi: tuple[int, int, int, int] | None = None,
                        method: str = "grey-world", *, max_gain: float = 4.0) -> np.ndarray:
    """Per-channel (B, G, R) gains that make ``roi`` neutral, normalised so green keeps its level."""
    if method not in WB_METHODS:
        raise PreprocessError(f"unknown white balance method {method!r}", hint=f"use {' or '.join(WB_METHODS)}")
    h, w = image_bgr.shape[:2]
    if roi is not None:
        x, y, rw, rh = roi
        if x + rw > w or y + rh > h:
            where = "lies outside" if x >= w or y >= h else "reaches past the edge of"
            raise PreprocessError(f"white balance region {x},{y},{rw},{rh} {where} the {w}x{h} picture",
                                  hint=f"give x,y,w,h with x+w <= {w} and y+h <= {h}")
        region = image_bgr[y:min(h, y + rh), x:min(w, x + rw)]
    else:
        region = image_bgr
    px = region.reshape(-1, 3).astype(np.float64)
    # Clipped pixels carry no colour information.
    px = px[(px < 250).all(axis=1) & (px > 5).all(axis=1)]
    if px.shape[0] < 16:
        raise PreprocessError("white balance region has too few usable (not black, not clipped) pixels",
                              hint="pick a larger, mid-grey or white area")
    ref = px.mean(axis=0) if method == "grey-world" else np.percentile(px, 98, axis=0)
    gains = ref[1] / np.maximum(ref, 1e-6)
    return np.clip(gains, 1.0 / max_gain, max_gain)


def apply_gains(image_bgr: np.ndarray, gains: np.ndarray) -> np.ndarray:
    levels = np.arange(256, dtype=np.float64)
    lut = np.stack([np.clip(levels * g + 0.5, 0, 255) for g in gains], axis=1).astype(np.uint8)
    return cv2.LUT(image_bgr, lut.reshape(256, 1, 3))


def white_balance(image_bgr: np.ndarray, roi: tuple[int, int, int, int] | None = None,
                  method: str = "grey-world") -> np.ndarray:
    return apply_gains(image_bgr, white_balance_gains(image_bgr, roi, method))
