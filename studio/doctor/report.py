"""What `studio doctor` found: one Check per topic, and the Report that turns them into text, JSON and an exit code.

A check's status says what it means for the user:
  ok   - works;
  info - fine, or does not apply to this box (no GPU: Studio runs on the CPU);
  warn - a part does not work, the main job still runs (no virtual camera: preview and recording still work);
  fail - the main job (the live camera with its background replaced) cannot run on this box as it is set up.
Every warn and fail carries ``fix``: the one command or step that fixes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

OK, INFO, WARN, FAIL = "ok", "info", "warn", "fail"
_ORDER = {OK: 0, INFO: 1, WARN: 2, FAIL: 3}


@dataclass
class Check:
    id: str  # stable key: python, packages, backends, auto, gpu, cameras, virtual_camera, secure_boot, ...
    title: str
    status: str
    summary: str
    fix: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in _ORDER:
            raise ValueError(f"unknown check status {self.status!r}")
        if self.status in (WARN, FAIL) and not self.fix:
            raise ValueError(f"check {self.id}: a {self.status} needs a fix")


def worst(*statuses: str) -> str:
    return max(statuses, key=_ORDER.__getitem__) if statuses else OK


@dataclass
class Report:
    checks: list[Check]
    header: dict[str, Any] = field(default_factory=dict)

    def get(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def blocking(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    @property
    def ok(self) -> bool:
        return not self.blocking

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.header,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "main_job": {"can_run": self.ok, "blocked_by": [c.id for c in self.blocking]},
            "problems": [{"id": c.id, "status": c.status, "summary": c.summary, "fix": c.fix}
                         for c in self.checks if c.status in (WARN, FAIL)],
            "checks": [asdict(c) for c in self.checks],
        }

    def render(self) -> str:
        lines = []
        if self.header:
            lines.append(f"studio doctor: studio {self.header.get('studio', '?')}, Python "
                         f"{self.header.get('python', '?')} on {self.header.get('platform', '?')}")
        width = max((len(c.id) for c in self.checks), default=8)
        for c in self.checks:
            tag = c.status.upper() if c.status in (WARN, FAIL) else c.status
            lines.append(f"  {tag:<5} {c.id:<{width}}  {c.summary}")
            if c.fix:
                lines.append(f"  {'':<5} {'':<{width}}  fix: {c.fix}")
        problems = [c for c in self.checks if c.status in (WARN, FAIL)]
        if self.ok:
            tail = "the live job can run" + (f"; {len(problems)} warning(s) above" if problems else "")
        else:
            tail = "the live job cannot run here: " + ", ".join(c.id for c in self.blocking) + " (fixes above)"
        lines.append(f"Result: {tail}.")
        return "\n".join(lines)
