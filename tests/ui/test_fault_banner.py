"""Issue 8, item 3 in the app: a permanent inference error (the runtime cannot load the model file) is one error
banner that stays, with its hint, while the picture goes on; no retry loop adds more."""

from __future__ import annotations

from studio.ui.main_window import MainWindow

WAIT = 20000  # ms: generous, the box is shared; nothing here asserts speed


def damaged_model_factory(path):
    def factory(spec, backend, device):
        from studio.inference.runtimes.onnxruntime import OnnxRuntimeBackend

        be = OnnxRuntimeBackend(threads=1)
        be.load(spec, path, "cpu")  # the real runtime on a damaged file: a ModelError
        return be

    return factory


def test_a_permanent_error_is_an_error_banner_and_the_picture_goes_on(qtbot, ui_settings, settings_path, tmp_path):
    bad = tmp_path / "selfie.onnx"
    bad.write_bytes(b"\x08\x07not a model" * 100)
    w = MainWindow(ui_settings, settings_path=settings_path, backend_factory=damaged_model_factory(bad))
    qtbot.addWidget(w)
    w.show()
    w.start()
    try:
        qtbot.waitUntil(lambda: any("selfie cannot run" in m for m in w.banners.messages()), timeout=WAIT)
        banner = next(b for b in w.banners.banners if "selfie cannot run" in b.message)
        assert banner.level == "error" and banner.key == "fatal"
        start = w.bridge.frames_taken
        qtbot.waitUntil(lambda: w.bridge.frames_taken >= start + 5, timeout=WAIT)
        assert sum("selfie cannot run" in m for m in w.banners.messages()) == 1
    finally:
        w.close()
