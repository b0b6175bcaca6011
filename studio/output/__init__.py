"""Sinks: virtual camera (pyvirtualcam), recorder, snapshot, null and callback sinks."""
