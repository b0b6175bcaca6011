"""`studio gui [--source SRC] [--kiosk] [--screenshot FILE --quit-after SECONDS [--capture-after SECONDS ...]]`: the
desktop app (Qt lives in studio.ui; it is imported only when this command runs)."""

from __future__ import annotations

import os
import sys
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
    p.add_argument("--capture-after", type=float, metavar="SECONDS", action="append",
                   help="kiosk screenshots: press Capture after this many seconds; repeat it for more shots (each "
                        "earlier shot is saved to a scratch folder, deleted on exit, so the recent-shots strip fills); "
                        "the screenshot waits for the last cutout")
    p.set_defaults(func=cmd_gui)


def cmd_gui(args) -> int:
    from studio.core.errors import StudioError

    captures = sorted(args.capture_after or [])
    if captures:
        if not (args.kiosk and args.screenshot is not None):
            raise StudioError("--capture-after is for kiosk screenshots",
                              hint="use it with --kiosk --screenshot FILE")
        if captures[0] < 0:
            raise StudioError("--capture-after must be positive")
        if args.quit_after is not None and args.quit_after <= captures[-1]:
            raise StudioError("--quit-after must come after the last --capture-after",
                              hint=f"e.g. --quit-after {captures[-1] + 3:g}")
    if args.screenshot is not None and args.quit_after is None:
        args.quit_after = captures[-1] + 3.0 if captures else 4.0
    if args.quit_after is not None and args.quit_after < 0:
        raise StudioError("--quit-after must be positive")
    problem = display_problem(os.environ, sys.platform)
    if problem is not None:
        if args.screenshot is not None and problem.startswith("no display"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen: render offscreen
        elif problem.startswith("no display"):
            raise StudioError(problem, hint="run it in a desktop session; on a headless box use `studio cam` (e.g. "
                                            "`studio cam --source 0 --vcam`), or set QT_QPA_PLATFORM=offscreen "
                                            "with --screenshot")
        else:
            raise StudioError(problem, hint="install those system packages and start it again (Wayland sessions "
                                            "do not need them)")
    try:
        from studio.ui.app import run
    except ImportError as exc:
        raise StudioError(f"the GUI needs PySide6: {exc}", hint="pip install PySide6-Essentials, or use `studio cam` "
                                                                "headless") from None
    return run(source=args.source, kiosk=args.kiosk, screenshot=args.screenshot, quit_after=args.quit_after,
               settings_path=args.settings, capture_after=captures)


def display_problem(env, platform: str, missing_libs=None) -> str | None:
    """Why Qt could not open a window here, or None. Qt itself aborts the process (no exception) when its platform
    plugin cannot start, so the usual causes on Linux are checked first and turned into a message."""
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return None
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return "no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset)"
    if env.get("WAYLAND_DISPLAY"):
        return None
    missing = (missing_libs or missing_xcb_libraries)()
    if missing:
        return (f"Qt's X11 plugin cannot load: {', '.join(missing)} not installed (Debian/Ubuntu: sudo apt install "
                f"libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0; Fedora: sudo dnf install "
                f"xcb-util-cursor xcb-util-wm xcb-util-keysyms)")
    return None


def missing_xcb_libraries() -> list[str]:
    """System libraries that PySide6's X11 platform plugin needs and the dynamic loader cannot find (via ldd; the
    plugin is located without importing Qt)."""
    import importlib.util
    import shutil
    import subprocess

    spec = importlib.util.find_spec("PySide6")
    ldd = shutil.which("ldd")
    if spec is None or not spec.submodule_search_locations or ldd is None:
        return []
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    missing: list[str] = []
    for lib in (qt / "plugins" / "platforms" / "libqxcb.so", *sorted((qt / "lib").glob("libQt6XcbQpa.so*"))[:1]):
        if not lib.is_file():
            continue
        try:
            out = subprocess.run([ldd, str(lib)], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        for line in out.splitlines():
            if "not found" in line:
                name = line.split("=>")[0].strip()
                if name not in missing:
                    missing.append(name)
    return missing
