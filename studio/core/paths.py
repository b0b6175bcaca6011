"""Where things live on disk, from a checkout or an installed app; every folder is overridable by environment.

From a checkout (this file sits in <root>/studio/core and <root>/pyproject.toml exists) resources and engines are the
repository's own folders. Installed, caches and user data go to the platform's user folders (platformdirs). Nothing
is created here: callers create folders when they first write.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "studio"


def checkout_root() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "resources").is_dir():
        return root
    return None


def resources_dir() -> Path:
    if env := os.environ.get("STUDIO_RESOURCES_DIR"):
        return Path(env)
    root = checkout_root()
    if root is not None:
        return root / "resources"
    return Path(sys.prefix) / "share" / APP / "resources"


def models_dir() -> Path:
    return resources_dir() / "models"


def user_models_dir() -> Path:
    """Downloaded models (large, fetched on request)."""
    if env := os.environ.get("STUDIO_MODELS_DIR"):
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP)) / "models"


def engines_dir() -> Path:
    if env := os.environ.get("STUDIO_ENGINES_DIR"):
        return Path(env)
    root = checkout_root()
    if root is not None:
        return root / "engines"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP)) / "engines"


def config_dir() -> Path:
    if env := os.environ.get("STUDIO_CONFIG_DIR"):
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP))


def settings_path() -> Path:
    return config_dir() / "settings.toml"


def shared_data_dir() -> Path | None:
    """../shared/data beside a checkout: test material used by tests and benchmarks, never shipped."""
    if env := os.environ.get("STUDIO_SHARED_DATA"):
        p = Path(env)
        return p if p.is_dir() else None
    root = checkout_root()
    if root is None:
        return None
    p = root.parent / "shared" / "data"
    return p if p.is_dir() else None
