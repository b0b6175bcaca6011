"""Sources (camera, video file, still image, synthetic) and the CaptureThread that feeds the latest-frame slot."""
