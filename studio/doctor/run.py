"""All checks in order, each guarded: a check that breaks is reported as such and the others still run."""

from __future__ import annotations

import logging
import platform
import sys
from typing import Callable

from studio.doctor import runtime, system, video
from studio.doctor.kernel import loopback_module, secure_boot
from studio.doctor.report import FAIL, Check, Report
from studio.doctor.roots import Roots

log = logging.getLogger(__name__)


def _guard(check_id: str, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a doctor that crashes on a strange box is no doctor
        log.debug("doctor check %s raised", check_id, exc_info=True)
        return Check(check_id, check_id, FAIL, f"the check itself failed: {type(exc).__name__}: {exc}",
                     "run `studio -vv doctor` and report the output", {"error": repr(exc)})


def run_checks(roots: Roots | None = None, *, probe: bool = True, load_model: bool = True,
               camera_probe: video.CameraProbe | None = video.open_camera_once,
               camera_time_limit_s: float = 3.0) -> Report:
    """Every check of `studio doctor`. ``probe``: open cameras (and, off Linux, the virtual camera) for a moment;
    ``load_model``: open the live model on its runtime and run it once. Roots default to the real system."""
    from studio import __version__

    roots = roots or Roots()
    checks: list[Check] = [_guard("python", system.check_python), _guard("packages", system.check_packages)]
    settings_check, settings = runtime.check_settings()
    checks.append(settings_check)
    inf = settings.inference if settings else None
    live_model = inf.model if inf else "selfie"
    checks.append(_guard("models", lambda: runtime.check_models(live_model)))
    available: dict[str, list[str]] = {}

    def backends() -> Check:
        check, found = runtime.check_backends()
        available.update(found)
        return check

    checks.append(_guard("backends", backends))
    if load_model and checks[-1].status != FAIL and checks[-2].status != FAIL:
        checks.append(_guard("auto", lambda: runtime.check_auto(live_model, inf.backend if inf else "auto",
                                                                inf.device if inf else "auto")))
    checks.append(_guard("gpu", lambda: system.check_gpu(roots, available)))
    checks.append(_guard("engines", runtime.check_engines))
    src = settings.source if settings else None
    checks.append(_guard("cameras", lambda: video.check_cameras(
        roots, source_kind=src.kind if src else "auto", source_uri=src.uri if src else "",
        probe=camera_probe if probe else None, time_limit_s=camera_time_limit_s)))
    module = _guard_value(lambda: loopback_module(roots)) if roots.linux else None
    sb = _guard_value(lambda: secure_boot(roots)) if roots.linux else None
    vcam_device = settings.output.vcam_device if settings else ""
    checks.append(_guard("virtual_camera", lambda: video.check_virtual_camera(
        roots, wanted_device=vcam_device, probe=probe, module=module, sb=sb)))
    checks.append(_guard("secure_boot", lambda: video.check_secure_boot(roots, module, sb)))
    checks.append(_guard("sensors", lambda: system.check_sensors(roots, system.nvidia_present(roots))))
    header = {"studio": __version__, "python": sys.version.split()[0],
              "platform": f"{roots.platform} {roots.kernel} {roots.machine}".strip(),
              "host": platform.node(), "frozen": bool(getattr(sys, "frozen", False))}
    return Report(checks, header)


def _guard_value(fn):
    try:
        return fn()
    except Exception:  # noqa: BLE001 - the check that uses it recomputes and reports the failure
        log.debug("doctor probe raised", exc_info=True)
        return None
