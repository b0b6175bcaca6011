"""Every Source kind in one place, and ``make_source`` which builds the one the settings ask for."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from studio.capture.base import Source
from studio.capture.camera import CameraInfo, CameraSource, camera_hint, list_cameras, parse_camera_uri
from studio.capture.files import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, ImageSource, VideoFileSource
from studio.capture.synthetic import DEMO_MOTION, MOTION_SPEEDS, SyntheticSource, demo_source
from studio.core.errors import SourceError

if TYPE_CHECKING:
    from studio.config.settings import SourceSettings

log = logging.getLogger(__name__)

__all__ = ["CameraInfo", "CameraSource", "ImageSource", "Source", "SyntheticSource", "VideoFileSource",
           "camera_hint", "demo_source", "list_cameras", "make_source"]


def _guess_kind(uri: str) -> str:
    """What an "auto" uri names: a file by its extension, otherwise a camera (index, device path, URL)."""
    suffix = Path(uri).suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return "image"
    if suffix in VIDEO_EXTENSIONS and "://" not in uri:
        return "file"
    if uri in MOTION_SPEEDS:
        return "synthetic"
    return "camera"


def make_source(settings: "SourceSettings") -> Source:
    """The Source for ``settings``; nothing is opened yet (the capture thread opens it).

    kind "auto" with an empty uri takes the first camera, or the synthetic demo when the box has none; with a uri it
    picks by what the uri looks like. For "synthetic" the uri may name the motion (still, slow, moving, fast).
    """
    kind, uri = settings.kind, settings.uri.strip()
    w, h, fps = settings.width, settings.height, settings.fps
    if kind == "auto":
        if uri:
            kind = _guess_kind(uri)
        else:
            cams = list_cameras()
            if cams:
                log.info("source auto: using %s (%s)", cams[0].path, cams[0].name)
                return CameraSource(cams[0].uri, w, h, fps, settings.mjpg)
            log.info("source auto: no camera found, showing the synthetic demo")
            return demo_source(w, h, fps)
    if kind == "camera":
        return CameraSource(parse_camera_uri(uri or "0"), w, h, fps, settings.mjpg)
    if kind == "file":
        if not uri:
            raise SourceError("source kind 'file' needs a path", hint="set source.uri to a video file")
        return VideoFileSource(uri, loop=settings.loop)
    if kind == "image":
        if not uri:
            raise SourceError("source kind 'image' needs a path", hint="set source.uri to a picture file")
        return ImageSource(uri, fps=fps)
    if kind == "synthetic":
        if uri and uri not in MOTION_SPEEDS:
            raise SourceError(f"unknown synthetic motion {uri!r}", hint=f"use one of {', '.join(MOTION_SPEEDS)}")
        return SyntheticSource(w, h, fps, motion=uri or DEMO_MOTION, noise=2.0)
    raise SourceError(f"unknown source kind {kind!r}", hint="use auto, camera, file, image or synthetic")
