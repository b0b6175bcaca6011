"""Every Source kind in one place, and ``make_source`` which builds the one the settings ask for."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from studio.capture.base import Source
from studio.capture.camera import CameraInfo, CameraSource, camera_hint, list_cameras, parse_camera_uri
from studio.capture.files import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, ImageSource, VideoFileSource
from studio.capture.synthetic import DEMO_MOTION, MOTION_SPEEDS, SyntheticSource, demo_source
from studio.core.errors import SourceError
from studio.core.kinds import SourceKind

if TYPE_CHECKING:
    from studio.config.settings import SourceSettings

log = logging.getLogger(__name__)

__all__ = ["CameraInfo", "CameraSource", "ImageSource", "Source", "SyntheticSource", "VideoFileSource",
           "camera_hint", "demo_source", "list_cameras", "make_source"]


def _guess_kind(uri: str) -> SourceKind:
    """What an "auto" uri names: a file by its extension, otherwise a camera (index, device path, URL)."""
    suffix = Path(uri).suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return SourceKind.IMAGE
    if suffix in VIDEO_EXTENSIONS and "://" not in uri:
        return SourceKind.FILE
    if uri in MOTION_SPEEDS:
        return SourceKind.SYNTHETIC
    return SourceKind.CAMERA


def _auto(settings: "SourceSettings", uri: str) -> Source:
    if uri:
        return _BUILDERS[_guess_kind(uri)](settings, uri)
    cams = list_cameras()
    if cams:
        log.info("source auto: using %s (%s)", cams[0].path, cams[0].name)
        return CameraSource(cams[0].uri, settings.width, settings.height, settings.fps, settings.mjpg)
    log.info("source auto: no camera found, showing the synthetic demo")
    return demo_source(settings.width, settings.height, settings.fps)


def _camera(settings: "SourceSettings", uri: str) -> Source:
    return CameraSource(parse_camera_uri(uri or "0"), settings.width, settings.height, settings.fps, settings.mjpg)


def _file(settings: "SourceSettings", uri: str) -> Source:
    if not uri:
        raise SourceError("source kind 'file' needs a path", hint="set source.uri to a video file")
    return VideoFileSource(uri, loop=settings.loop)


def _image(settings: "SourceSettings", uri: str) -> Source:
    if not uri:
        raise SourceError("source kind 'image' needs a path", hint="set source.uri to a picture file")
    return ImageSource(uri, fps=settings.fps)


def _synthetic(settings: "SourceSettings", uri: str) -> Source:
    if uri and uri not in MOTION_SPEEDS:
        raise SourceError(f"unknown synthetic motion {uri!r}", hint=f"use one of {', '.join(MOTION_SPEEDS)}")
    return SyntheticSource(settings.width, settings.height, settings.fps, motion=uri or DEMO_MOTION, noise=2.0)


# The registry of source kinds: SourceKind -> builder(settings, uri). A new kind is a member and a line here.
_BUILDERS: dict[SourceKind, Callable[["SourceSettings", str], Source]] = {
    SourceKind.AUTO: _auto, SourceKind.CAMERA: _camera, SourceKind.FILE: _file, SourceKind.IMAGE: _image,
    SourceKind.SYNTHETIC: _synthetic,
}


def make_source(settings: "SourceSettings") -> Source:
    """The Source for ``settings``; nothing is opened yet (the capture thread opens it).

    kind "auto" with an empty uri takes the first camera, or the synthetic demo when the box has none; with a uri it
    picks by what the uri looks like. For "synthetic" the uri may name the motion (still, slow, moving, fast).
    """
    kind = SourceKind.parse(settings.kind)
    if kind is None:
        raise SourceError(f"unknown source kind {settings.kind!r}", hint=f"use {', '.join(SourceKind.values())}")
    return _BUILDERS[kind](settings, settings.uri.strip())
