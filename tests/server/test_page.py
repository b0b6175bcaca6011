"""The service's page in a real headless browser (Debian's chromium + chromium-driver through selenium): choose a
picture, the tiles stream in and the canvas ends up holding the cutout. Skips with the reason where no browser or
driver is installed (`make test` installs them when it can: installers/test-system-deps.sh)."""

from __future__ import annotations

import base64
import shutil

import numpy as np
import pytest

from tests.server.conftest import encoded, fake_opener, rgba_of, running, scene

from studio.server.options import ServeOptions

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (dev extra) is not installed")


def _browser_paths() -> tuple[str, str]:
    browser = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p),
                   None)
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("no headless browser: install Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver)")
    return browser, driver


@pytest.fixture
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver = _browser_paths()
    opts = Options()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--force-color-profile=srgb"):
        opts.add_argument(arg)
    try:
        b = webdriver.Chrome(service=Service(driver), options=opts)
    except Exception as exc:  # noqa: BLE001 - a broken browser install is a skip, not our failure
        pytest.skip(f"chromium could not start: {str(exc).splitlines()[0]}")
    try:
        yield b
    finally:
        b.quit()


TOKEN = "page-token-1234"


def test_the_page_streams_tiles_onto_its_canvas(browser, tmp_path, client):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    picture = tmp_path / "shot.png"
    picture.write_bytes(encoded(scene(300, 200, seed=5), "png"))
    with running(ServeOptions(token=TOKEN), opener=fake_opener()) as s:
        browser.get(f"{s.url}/?token={TOKEN}")
        assert "Studio" in browser.title
        browser.find_element(By.ID, "tile").clear()
        browser.find_element(By.ID, "tile").send_keys("64")
        browser.find_element(By.ID, "file").send_keys(str(picture))
        status = browser.find_element(By.ID, "status")
        WebDriverWait(browser, 60).until(lambda b: status.get_attribute("data-state") in ("done", "error"))
        assert status.get_attribute("data-state") == "done", status.text
        canvas = browser.find_element(By.ID, "out")
        assert (canvas.get_attribute("width"), canvas.get_attribute("height")) == ("300", "200")
        assert canvas.get_attribute("data-tiles") == canvas.get_attribute("data-drawn") == str(5 * 4)
        png = browser.execute_script("return document.getElementById('out').toDataURL('image/png');")
        shown = rgba_of(base64.b64decode(png.split(",", 1)[1]))
        expected = rgba_of(client.post(s.url + "/process", content=picture.read_bytes(), params={"token": TOKEN},
                                       headers={"content-type": "image/png"}).content)
    # The canvas stores premultiplied colour, so RGB under partial transparency may round; alpha must not move.
    np.testing.assert_array_equal(shown[:, :, 3], expected[:, :, 3])
    opaque = expected[:, :, 3] == 255
    assert opaque.any() and (~opaque).any()
    assert np.abs(shown[opaque].astype(int) - expected[opaque].astype(int)).max() <= 1


def test_the_page_shows_the_services_error(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    junk = tmp_path / "notes.png"
    junk.write_bytes(b"not a picture at all")
    with running(ServeOptions(), opener=fake_opener()) as s:
        browser.get(s.url + "/")
        browser.find_element(By.ID, "file").send_keys(str(junk))
        status = browser.find_element(By.ID, "status")
        WebDriverWait(browser, 30).until(lambda b: status.get_attribute("data-state") == "error")
        assert "400" in status.text and "not a JPEG, PNG or WebP" in status.text
