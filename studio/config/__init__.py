"""Settings shared by the GUI and the headless commands: dataclasses, validation, one TOML file."""

from studio.config.settings import (
    BackgroundSettings, GateSettings, InferenceSettings, KioskSettings, OutputSettings, RefineSettings, Settings,
    SettingsError, SourceSettings, ThermalSettings, load_settings, save_settings,
)

__all__ = [
    "BackgroundSettings", "GateSettings", "InferenceSettings", "KioskSettings", "OutputSettings", "RefineSettings",
    "Settings", "SettingsError", "SourceSettings", "ThermalSettings", "load_settings", "save_settings",
]
