"""`studio gui [--source SRC] [--kiosk] [--screenshot FILE --quit-after SECONDS]`: the desktop app (Qt lives in
studio.ui; it is imported only when this command runs)."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("gui", help="the studio app: live preview and panels, or kiosk mode for product shots")
    p.add_argument("--source", metavar="SRC",
                   help="demo, synthetic[:still|slow|moving|fast], a camera index or /dev/videoN or URL, a video "
                        "file or an image (default: the settings; a box without a camera opens on the demo)")
    p.add_argument("--kiosk", action="store_true", help="full-screen product-shot mode")
    p.add_argument("--settings", type=Path, metavar="FILE", help="settings file (default: the user settings file)")
    p.add_argument("--screenshot", type=Path, metavar="FILE",
                   help="write a PNG of the window after --quit-after seconds, then exit")
    p.add_argument("--quit-after", type=float, metavar="SECONDS", help="close the window after this many seconds")
    p.set_defaults(func=cmd_gui)


def cmd_gui(args) -> int:
    from studio.core.errors import StudioError

    if args.screenshot is not None and args.quit_after is None:
        args.quit_after = 4.0
    if args.quit_after is not None and args.quit_after < 0:
        raise StudioError("--quit-after must be positive")
    try:
        from studio.ui.app import run
    except ImportError as exc:
        raise StudioError(f"the GUI needs PySide6: {exc}", hint="pip install PySide6-Essentials, or use `studio cam` "
                                                                "headless") from None
    return run(source=args.source, kiosk=args.kiosk, screenshot=args.screenshot, quit_after=args.quit_after,
               settings_path=args.settings)
