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
