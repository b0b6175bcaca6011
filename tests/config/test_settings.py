import pytest

from studio.config import Settings, SettingsError, load_settings, save_settings


def test_defaults_round_trip(tmp_path):
    path = tmp_path / "settings.toml"
    s = Settings()
    s.background.kind = "color"
    s.background.color = "#112233"
    s.gate.static_fps = 4.0
    s.recent_backgrounds = ["/a.png"]
    save_settings(s, path)
    back = load_settings(path)
    assert back == s


def test_missing_file_gives_defaults(tmp_path):
    assert load_settings(tmp_path / "none.toml") == Settings()


def test_bad_values_name_the_key(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[background]\nkind = "sparkles"\n')
    with pytest.raises(SettingsError, match="background.kind"):
        load_settings(path)
    path.write_text('[source]\nfps = "fast"\n')
    with pytest.raises(SettingsError, match="source.fps"):
        load_settings(path)
    path.write_text("not = [toml")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(path)


def test_unknown_keys_are_ignored(tmp_path, caplog):
    path = tmp_path / "s.toml"
    path.write_text('future = 1\n[gate]\nnew_knob = 2\nstatic_fps = 3\n')
    s = load_settings(path)
    assert s.gate.static_fps == 3.0
    assert "new_knob" in caplog.text


@pytest.mark.parametrize("section,key,value,allowed", [
    ("inference", "timeout_s", float("inf"), "[0.1, 300]"),  # inf turns the watchdog off
    ("inference", "timeout_s", 0.001, "[0.1, 300]"),  # every inference would "hang"
    ("thermal", "poll_s", 1e-9, "[0.05, 60]"),  # burnt a core polling sensors
    ("gate", "hold_s", -1.0, "[0, 60]"),
    ("gate", "static_fps", 1e300, "(0, 240]"),
    ("gate", "moderate_fps", float("nan"), "(0, 240]"),
    ("source", "fps", 0.0, "[1, 240]"),
    ("refine", "smoothing", float("nan"), "[0, 1)"),
    ("background", "blur_strength", 0, "[1, 151]"),
])
def test_out_of_range_values_name_the_key_the_value_and_the_range(tmp_path, section, key, value, allowed):
    s = Settings()
    setattr(getattr(s, section), key, value)
    with pytest.raises(SettingsError) as info:
        s.validate()
    text = str(info.value)
    assert f"{section}.{key}" in text and repr(value) in text and allowed in text


def test_a_settings_file_named_by_the_user_must_exist(tmp_path):
    with pytest.raises(SettingsError, match="settings file not found"):
        load_settings(tmp_path / "missing.toml", must_exist=True)


def test_a_nan_in_the_file_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[inference]\ntimeout_s = nan\n")
    with pytest.raises(SettingsError, match="inference.timeout_s = nan"):
        load_settings(path)
