"""One temperature reading and the rule that says whether it is the CPU, the GPU or something else."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Anything outside this range is a sensor reporting garbage (unused channel, 255, -273, raw counts).
PLAUSIBLE_C = (-40.0, 150.0)

# Names that are CPU or GPU whatever else they say. Checked on the lower-cased "chip name/label" or zone type.
_GPU = re.compile(r"gpu|amdgpu|radeon|nouveau|nvidia|\bgfx|mali|adreno")
_CPU = re.compile(r"cpu|coretemp|k10temp|k8temp|zenpower|x86_pkg|package id|\bcore \d|tctl|tdie|tccd|soc_dts|"
                  r"cpu_thermal|cpu-thermal")
# Sensors whose value is not a real temperature (Jetson Nano's PMIC-Die always reads 100 C).
_IGNORED_FOR_HOTTEST = re.compile(r"pmic")


@dataclass(frozen=True, slots=True)
class SensorReading:
    """``source``: thermal / hwmon / psutil / nvml; ``name``: zone type, chip name or GPU model; ``label``: the
    channel (hwmon label, GPU index); ``kind``: cpu, gpu or other."""

    source: str
    name: str
    label: str
    celsius: float
    kind: str

    @property
    def counts_for_hottest(self) -> bool:
        return not _IGNORED_FOR_HOTTEST.search(f"{self.name} {self.label}".lower())

    def describe(self) -> str:
        what = f"{self.name}/{self.label}" if self.label else self.name
        return f"{what}: {self.celsius:.1f} C ({self.kind}, {self.source})"


def classify(name: str, label: str = "") -> str:
    """"cpu", "gpu" or "other" from a zone type or hwmon chip name and channel label.

    The label decides when it names a part (dell_smm "CPU"/"GPU", thinkpad "CPU"); otherwise the chip does
    (coretemp, k10temp -> cpu; amdgpu, nouveau -> gpu). Jetson zones: CPU-therm, cpu-thermal -> cpu; GPU-therm,
    gpu-thermal -> gpu; SOC*, AO, PLL, Tboard, Tdiode, tj (junction) -> other.
    """
    label_l, name_l = label.lower(), name.lower()
    for text in (label_l, name_l):
        if not text:
            continue
        if _GPU.search(text):
            return "gpu"
        if _CPU.search(text):
            return "cpu"
    return "other"


def plausible(celsius: float) -> bool:
    return PLAUSIBLE_C[0] <= celsius <= PLAUSIBLE_C[1]
