"""`studio gui` explains a missing display instead of letting Qt abort the process (pure logic; no Qt here)."""

from studio.cli.cmd_gui import display_problem
from studio.cli.main import main


def _lib(found):
    return lambda: [] if found else ["libxcb-icccm.so.4"]


def test_display_problems_on_linux():
    assert "no display" in display_problem({}, "linux", _lib(True))
    assert "libxcb-icccm.so.4" in display_problem({"DISPLAY": ":0"}, "linux", _lib(False))
    assert display_problem({"DISPLAY": ":0"}, "linux", _lib(True)) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", _lib(False)) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", _lib(False)) is None
    assert display_problem({}, "win32", _lib(False)) is None


def test_gui_without_a_display_is_a_message_not_an_abort(monkeypatch, capsys):
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main(["gui"]) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "studio cam" in err


def test_missing_xcb_libraries_reads_the_real_plugin():
    from studio.cli.cmd_gui import missing_xcb_libraries

    missing = missing_xcb_libraries()  # whatever this box lacks; every entry is a library name from ldd
    assert all(name.startswith("lib") and ".so" in name for name in missing)
