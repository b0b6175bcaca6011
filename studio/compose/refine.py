"""Mask refinement: the model's small mask -> a frame-size alpha whose edges follow the picture.

Edge-aware upsampling is the fast guided filter of He & Sun (2015, "Fast Guided Filter"): the linear coefficients
(a, b) of q = a * I + b are solved on a downscaled grey guide, then upsampled bilinearly and applied to the full-size
guide. Only the last step touches every frame pixel, so the cost is a few full-size passes whatever the radius.
(cv2.ximgproc.guidedFilter would do it at full size, and it is not in opencv-python-headless anyway.)

Temporal smoothing is an exponential moving average of the mask at the working (small) size whose weight falls where
the new mask differs much from the average (a moving subject is not dragged; see ``MaskRefiner._smooth``), updated
only when a new mask arrives; a reused mask is still re-guided with every new frame, so edges follow the subject
between inferences.
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from studio.config.settings import RefineSettings

# Guided-filter parameters at the working resolution, tuned on the matting crops (shared data): over radius 1-4 and
# eps 1e-5..1e-2, radius 1 at the mask's own resolution won at both 256 px and 64 px masks; eps 1e-4 rather than the
# slightly better 1e-5 because webcam noise (~2 grey levels) would otherwise leak into the edge.
DEFAULT_RADIUS = 1
DEFAULT_EPS = 1e-4
# Temporal smoothing lets through at once a change of this size or more (see MaskRefiner._smooth). 1.0: the weight of
# the past falls linearly with the change, to 0 for a full flip. Measured on DAVIS dance-twirl (studio eval --sequence),
# against the plain average (0.5): u2netp IoU 0.578 -> 0.595 (raw 0.594), flicker 21.1 -> 19.0 (raw 34.4); selfie IoU
# 0.656 -> 0.659 (raw 0.651), flicker 12.6 -> 12.1 (raw 19.6), both with refine.smoothing 0.8; a cut-off at 0.5 or
# 0.25 kept more shimmer for no IoU gain.
SMOOTH_CHANGE = 1.0
# Mask values below this are 0. A model's sigmoid gives values down to 1e-38 on the background, and the temporal
# average decays others toward it; floats under 1.2e-38 (denormals) cost x86 about 50x per operation, and the guided
# filter's products made thousands of them: a 1080p refine took 6.4 ms instead of 2.9. An alpha of 1e-4 shows nowhere.
FLUSH_BELOW = 1e-4


def _finite(a: np.ndarray) -> bool:
    """All values finite, without allocating (NaN propagates through min and max; isfinite would make a bool array)."""
    return bool(np.isfinite(a.min()) and np.isfinite(a.max()))


# The live output's cap on the size the edge step (q = a * I + b, threshold, feather) works at: beyond it, a frame is
# refined at 1/k of its size for the smallest whole k that fits (1920x1080 at 960x540, 3840x2160 at 1280x720) and the
# compositor and the blur scale the alpha up in the same step that uses it. The mask's detail comes from a model of
# 256-512 px, so a 4K guide adds nothing the eye can see at a 2-3 px edge, and the full-size passes cost 5-8x more.
LIVE_DETAIL_CAP = (1280, 720)  # (long side, short side)
# The live output's cap when the compositor makes the alpha itself from the coefficients (see
# MaskRefiner.coefficients): the refiner's own alpha then only weights the halo-free blur and goes to the preview, so
# it is made at about 640x360 or less, at a halving of the frame (k a power of two: guided_factor), where the blur
# weights it without a resize (1080p and 4K at 480x270, 720p at 640x360); the edge the viewer sees is still made at
# full size. 1080p at 480x270 rather than 640x360: refine 5.2 -> 4.3 ms, blur 3.1 -> 2.6 ms (ad-hoc, selfie-sized
# masks). Never below the working size, so a large model's coefficients keep their detail.
LIVE_GUIDED_CAP = (640, 360)


def detail_factor(frame_w: int, frame_h: int, cap: tuple[int, int] | None) -> int:
    """The whole k (1 = none) that brings the frame within ``cap`` (long, short side) and divides both sides, so the
    compositor can treat each refined pixel as a k x k block of the frame: the least k that fits, or the next one;
    1 (full size) when neither divides (an odd size is refined as it is rather than far below the cap)."""
    if cap is None:
        return 1
    long_side, short_side = max(frame_w, frame_h), min(frame_w, frame_h)
    k = math.ceil(max(long_side / cap[0], short_side / cap[1]))
    if k <= 1:
        return 1
    return next((f for f in (k, k + 1) if frame_w % f == 0 and frame_h % f == 0), 1)


def guided_factor(frame_w: int, frame_h: int, cap: tuple[int, int]) -> int:
    """The least power of two k that brings the frame within ``cap`` and divides both sides; detail_factor's k when
    none does."""
    k = detail_factor(frame_w, frame_h, cap)
    if k <= 1:
        return 1
    p = 1 << (k - 1).bit_length()
    while p > 1 and (frame_w % p or frame_h % p):
        p //= 2
    return p if p >= k else k


def working_size(frame_w: int, frame_h: int, mask_w: int, mask_h: int) -> tuple[int, int]:
    """The size the filter solves at: the frame scaled down until one side matches the mask's resolution."""
    s = max(1.0, min(frame_w / mask_w, frame_h / mask_h))
    return max(1, round(frame_w / s)), max(1, round(frame_h / s))


class MaskRefiner:
    """Per-stream refinement with state (temporal smoothing) and buffers allocated once per frame / mask size.

    Not thread-safe: one refiner per output thread. ``refine`` returns a buffer that the next call overwrites.
    """

    def __init__(self, settings: RefineSettings, *, radius: int = DEFAULT_RADIUS, eps: float = DEFAULT_EPS,
                 detail_cap: tuple[int, int] | None = None, guided_cap: tuple[int, int] | None = None) -> None:
        """``detail_cap`` (long, short side; the live output passes LIVE_DETAIL_CAP): refine a larger frame at 1/k of
        its size (see detail_factor); ``refine`` then returns the alpha at that size. None: always at frame size.
        ``guided_cap`` (LIVE_GUIDED_CAP): the cap instead while ``coefficients`` are offered (the compositor makes
        the alpha it shows from them), as long as it keeps the working size."""
        settings.validate()
        self.detail_cap = detail_cap
        self.guided_cap = guided_cap
        self._k = 1  # the frame is k times the size of the alpha this returns
        self._buffers: dict[str, np.ndarray] = {}  # the guide's scratch, when k > 1 (see _scratch)
        self.settings = settings
        self.radius = int(radius)
        self.eps = float(eps)
        self._frame_size: tuple[int, int] | None = None
        self._work_size: tuple[int, int] | None = None
        self._state: np.ndarray | None = None  # smoothed mask at working size
        self._have_state = False
        self._edge_kernel: np.ndarray | None = None  # disc for refine.edge_px, built on first use
        # Counts the refines: while it stands, the alpha and coefficients of the last refine are unchanged (the
        # compositor keeps its plan for them: TileBlend.blend's field_key).
        self.generation = 0

    # -- settings and state ------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the temporal history (scene cut, source change)."""
        self._have_state = False

    def update_settings(self, settings: RefineSettings) -> None:
        settings.validate()
        if settings.smoothing == 0:
            self._have_state = False
        self.settings = settings

    # -- buffers ------------------------------------------------------------------------------------------------

    def _allocate_frame(self, w: int, h: int) -> None:
        self._frame_size = (w, h)
        self._grey = np.empty((h, w), np.uint8)
        self._guide = np.empty((h, w), np.float32)
        self._a_up = np.empty((h, w), np.float32)
        self._b_up = np.empty((h, w), np.float32)
        self._out = np.empty((h, w), np.float32)
        self._feather_buf = np.empty((h, w), np.float32)
        self._work_size = None  # working buffers depend on the frame size too

    def _allocate_work(self, ww: int, wh: int) -> None:
        old_state = self._state if self._have_state else None
        self._work_size = (ww, wh)
        shape = (wh, ww)
        self._small_grey = np.empty(shape, np.uint8)
        # Downscale the guide in two steps: INTER_AREA by a whole factor (fast, no aliasing), then bilinear by the
        # rest (< 2x). A single INTER_AREA at a fractional ratio costs ~1 ms at 720p; this costs ~0.07 ms.
        fw, fh = self._frame_size
        k = int(min(fw / ww, fh / wh))
        self._mid_grey = np.empty((fh // k, fw // k), np.uint8) if k >= 2 else None
        self._i = np.empty(shape, np.float32)
        self._p_new = np.empty(shape, np.float32)
        self._mean_i = np.empty(shape, np.float32)
        self._mean_p = np.empty(shape, np.float32)
        self._mean_ip = np.empty(shape, np.float32)
        self._mean_ii = np.empty(shape, np.float32)
        self._tmp = np.empty(shape, np.float32)
        self._a = np.empty(shape, np.float32)
        self._b = np.empty(shape, np.float32)
        self._state = np.empty(shape, np.float32)
        if old_state is not None:
            # The model input size changed (adaptive resolution): carry the history over instead of dropping it.
            cv2.resize(old_state, (ww, wh), dst=self._state, interpolation=cv2.INTER_LINEAR)

    # -- the work -----------------------------------------------------------------------------------------------

    def refine(self, alpha_small: np.ndarray, frame_bgr: np.ndarray, *, new_mask: bool = True,
               smoothing_scale: float = 1.0) -> np.ndarray:
        """HxW float32 alpha in [0, 1] at the frame's size, or at 1/k of it under a ``detail_cap`` (a reused buffer;
        ``detail_factor`` is that k).

        ``new_mask`` False means ``alpha_small`` is the same mask as last time (inference has not delivered a new
        one): the temporal average is not advanced, but the edges are re-guided by this frame.
        ``smoothing_scale`` (0..1) scales the configured temporal smoothing for this mask: an average over past masks
        steadies a still subject but drags a halo behind a moving one, so the live output lowers it with motion.
        """
        self.generation += 1
        fh, fw = frame_bgr.shape[:2]
        self._k = self._factor(fw, fh, alpha_small.shape[1], alpha_small.shape[0])
        w, h = fw // self._k, fh // self._k  # from here on "frame size" is the size the edge step works at
        if self._frame_size != (w, h):
            self._allocate_frame(w, h)
            self._have_state = False
        mh, mw = alpha_small.shape[:2]
        ws = working_size(w, h, mw, mh)
        if self._work_size != ws:
            self._allocate_work(*ws)
        ww, wh = ws
        st = self.settings

        fresh = new_mask or not self._have_state
        if fresh and not _finite(alpha_small):
            # The last line of defence (the inference worker drops such masks): a NaN in the running average stays
            # there for as long as the subject keeps still, and blacked out the picture for 16 s after three bad masks.
            if self._have_state:
                fresh = False  # keep the history; re-guide it with this frame as for a reused mask
            else:
                alpha_small = np.nan_to_num(alpha_small, nan=0.0, posinf=1.0, neginf=0.0)
        if fresh:
            src = alpha_small if alpha_small.dtype == np.float32 else alpha_small.astype(np.float32)
            if (mw, mh) == ws:
                np.copyto(self._p_new, src)
            else:
                cv2.resize(src, ws, dst=self._p_new, interpolation=cv2.INTER_LINEAR)
            cv2.threshold(self._p_new, FLUSH_BELOW, 0.0, cv2.THRESH_TOZERO, dst=self._p_new)
            k = st.smoothing * min(1.0, max(0.0, smoothing_scale))
            if self._have_state and k > 0:
                self._smooth(k)
                cv2.threshold(self._state, FLUSH_BELOW, 0.0, cv2.THRESH_TOZERO, dst=self._state)
            else:
                np.copyto(self._state, self._p_new)
                self._have_state = True

        self._grey_from(frame_bgr)

        out = self._out
        if st.guided:
            self._guided(ws)
            cv2.resize(self._a, (w, h), dst=self._a_up, interpolation=cv2.INTER_LINEAR)
            cv2.resize(self._b, (w, h), dst=self._b_up, interpolation=cv2.INTER_LINEAR)
            # q = a * I + b, with I = grey / 255 folded into a (see _guided), computed in float32.
            np.copyto(self._guide, self._grey, casting="unsafe")
            cv2.multiply(self._a_up, self._guide, dst=out)
            cv2.add(out, self._b_up, dst=out)
        elif (ww, wh) == (w, h):
            np.copyto(out, self._state)
        else:
            cv2.resize(self._state, (w, h), dst=out, interpolation=cv2.INTER_LINEAR)

        if st.edge_px:
            out = self._shift_edge(out, self._px(st.edge_px))
        if st.threshold > 0:
            cv2.threshold(out, st.threshold, 1.0, cv2.THRESH_BINARY, dst=out)
        if st.feather > 0:
            # Feather after the threshold, so a hard cut gets a soft, controlled edge of about `feather` pixels.
            k = 2 * self._px(st.feather) + 1
            cv2.GaussianBlur(out, (k, k), 0, dst=self._feather_buf)
            out, self._feather_buf = self._feather_buf, out
            self._out = out
        np.clip(out, 0.0, 1.0, out=out)
        return out

    def _factor(self, fw: int, fh: int, mw: int, mh: int) -> int:
        """k for this frame: the guided cap's while coefficients are offered and its 1/k keeps the working size
        (made from the whole frame), else the detail cap's."""
        if self.guided_cap is not None and self._offers_coefficients():
            k = guided_factor(fw, fh, self.guided_cap)
            ww, wh = working_size(fw, fh, mw, mh)
            if fw // k >= ww and fh // k >= wh:
                return k
        return detail_factor(fw, fh, self.detail_cap)

    def _offers_coefficients(self) -> bool:
        st = self.settings
        return st.guided and st.threshold <= 0 and st.feather <= 0 and not st.edge_px

    @property
    def detail_factor(self) -> int:
        """k of the last ``refine``: the alpha it returned is 1/k of the frame's width and height."""
        return self._k

    @property
    def coefficients(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(a, b) of the last ``refine`` at the working size, when its alpha is exactly clip(a * grey + b) scaled up
        (guided; no edge shift, threshold or feather): the compositor then makes the alpha itself, at full size and
        only on the tiles the edge crosses (the fast guided filter's last step), so a capped alpha (k > 1) costs no
        edge detail and the compositor never needs the full-size alpha. ``grey`` is the frame's grey in 0..255 (a
        carries the 1/255). None before the first ``refine``. Buffers the next call reuses."""
        if self._work_size is None or not self._offers_coefficients():
            return None
        return self._a, self._b

    def _px(self, frame_px: int) -> int:
        """A length in frame pixels at the size the edge step works at (at least one pixel when it is not 0)."""
        if not frame_px or self._k == 1:
            return frame_px
        return int(math.copysign(max(1, round(abs(frame_px) / self._k)), frame_px))

    def _grey_from(self, frame_bgr: np.ndarray) -> None:
        """The guide: the frame in grey at the edge step's size. By 2: grey at full size first (one channel to
        shrink, INTER_AREA's fast path). By more: the colour frame shrunk bilinearly first, which reads only the
        pixels it samples (4K to 640x360: 0.5 ms instead of 2.5 ms for grey at full size), then made grey; its slight
        aliasing of fine texture stays below the filter's eps."""
        if frame_bgr.ndim == 2 or self._k <= 2:
            grey = self._grey if self._k == 1 else self._scratch("full_grey", frame_bgr.shape[:2])
            if frame_bgr.ndim == 2:
                np.copyto(grey, frame_bgr)
            else:
                cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY, dst=grey)
            if grey is not self._grey:
                cv2.resize(grey, self._frame_size, dst=self._grey, interpolation=cv2.INTER_AREA)
            return
        small = self._scratch("small_bgr", (*self._grey.shape, 3))
        cv2.resize(frame_bgr, self._frame_size, dst=small, interpolation=cv2.INTER_LINEAR)
        cv2.cvtColor(small, cv2.COLOR_BGR2GRAY, dst=self._grey)

    def _scratch(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A uint8 buffer kept per name, remade when the shape changes."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = self._buffers[name] = np.empty(shape, np.uint8)
        return buf

    def _smooth(self, k: float) -> None:
        """state = w * state + (1 - w) * new, per pixel, with w = k * max(0, 1 - |new - state| / SMOOTH_CHANGE):
        a small change (shimmer) is averaged with weight k, a large one (the subject moved there) goes through at
        once. A plain average (w = k everywhere) lagged a dancer by a few pixels (u2netp on DAVIS: IoU -1.6 points
        against the raw model)."""
        t, state, new = self._tmp, self._state, self._p_new
        cv2.absdiff(state, new, dst=t)
        cv2.multiply(t, -k / SMOOTH_CHANGE, dst=t)
        cv2.add(t, k, dst=t)
        cv2.max(t, 0.0, dst=t)
        cv2.subtract(state, new, dst=state)
        cv2.multiply(state, t, dst=state)
        cv2.add(state, new, dst=state)

    def _shift_edge(self, out: np.ndarray, px: int) -> np.ndarray:
        """Move the alpha edge ``px`` frame pixels outward (> 0) or inward (< 0): a grey-level dilation or erosion
        by a disc, which moves the whole soft edge profile and keeps its softness (a threshold would make it hard).
        Inward trims the fringe where the old background's colour is mixed into the subject's edge pixels."""
        r = abs(px)
        if self._edge_kernel is None or self._edge_kernel.shape[0] != 2 * r + 1:
            self._edge_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        op = cv2.dilate if px > 0 else cv2.erode
        op(out, self._edge_kernel, dst=self._feather_buf, borderType=cv2.BORDER_REPLICATE)
        self._out, self._feather_buf = self._feather_buf, out
        return self._out

    def _guided(self, ws: tuple[int, int]) -> None:
        """Solve a, b at the working size from the small guide and the smoothed mask (into self._a, self._b)."""
        src = self._grey
        if self._mid_grey is not None:
            mh, mw = self._mid_grey.shape
            cv2.resize(src, (mw, mh), dst=self._mid_grey, interpolation=cv2.INTER_AREA)
            src = self._mid_grey
        if src.shape[::-1] == ws:
            np.copyto(self._small_grey, src)
        else:
            cv2.resize(src, ws, dst=self._small_grey, interpolation=cv2.INTER_LINEAR)
        i, p = self._i, self._state
        # Cast first, then scale in place: a mixed-dtype ufunc would allocate a cast buffer (~32 KB) every frame.
        np.copyto(i, self._small_grey)
        np.multiply(i, np.float32(1.0 / 255.0), out=i)
        k = (2 * self.radius + 1, 2 * self.radius + 1)
        border = cv2.BORDER_REFLECT
        cv2.boxFilter(i, -1, k, dst=self._mean_i, borderType=border)
        cv2.boxFilter(p, -1, k, dst=self._mean_p, borderType=border)
        cv2.multiply(i, p, dst=self._tmp)
        cv2.boxFilter(self._tmp, -1, k, dst=self._mean_ip, borderType=border)
        cv2.multiply(i, i, dst=self._tmp)
        cv2.boxFilter(self._tmp, -1, k, dst=self._mean_ii, borderType=border)
        # cov_ip -> mean_ip, var_i -> mean_ii (in place, no new arrays)
        cv2.multiply(self._mean_i, self._mean_p, dst=self._tmp)
        cv2.subtract(self._mean_ip, self._tmp, dst=self._mean_ip)
        cv2.multiply(self._mean_i, self._mean_i, dst=self._tmp)
        cv2.subtract(self._mean_ii, self._tmp, dst=self._mean_ii)
        cv2.add(self._mean_ii, self.eps, dst=self._mean_ii)
        cv2.divide(self._mean_ip, self._mean_ii, dst=self._a)
        # b = mean_p - a * mean_i
        cv2.multiply(self._a, self._mean_i, dst=self._tmp)
        cv2.subtract(self._mean_p, self._tmp, dst=self._b)
        cv2.boxFilter(self._a, -1, k, dst=self._tmp, borderType=border)
        # fold the guide's 1/255 into a, so the full-size step multiplies the raw grey values
        cv2.multiply(self._tmp, 1.0 / 255.0, dst=self._a)
        cv2.boxFilter(self._b, -1, k, dst=self._tmp, borderType=border)
        self._b, self._tmp = self._tmp, self._b


def refine_still(alpha_small: np.ndarray, image_bgr: np.ndarray, settings: RefineSettings | None = None) -> np.ndarray:
    """One image, no temporal state: a new HxW float32 alpha at the image's size."""
    settings = dataclasses.replace(settings or RefineSettings(), smoothing=0.0)
    return MaskRefiner(settings).refine(alpha_small, image_bgr, new_mask=True).copy()
