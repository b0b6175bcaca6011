"""PySide6 only: main window, panels, preview, kiosk mode, and the bridge from pipeline events to Qt signals."""
