"""Sources (camera, video file, image, synthetic) and the CaptureThread that feeds the latest-frame slot."""

from studio.capture.base import Source
from studio.capture.camera import CameraInfo, CameraSource, list_cameras
from studio.capture.files import ImageSource, VideoFileSource
from studio.capture.sources import make_source
from studio.capture.synthetic import SyntheticSource, demo_source
from studio.capture.thread import CaptureThread

__all__ = ["CameraInfo", "CameraSource", "CaptureThread", "ImageSource", "Source", "SyntheticSource",
           "VideoFileSource", "demo_source", "list_cameras", "make_source"]
