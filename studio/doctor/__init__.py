"""`studio doctor`: is this box ready for the live job, and what fixes each thing that is not.

Probes Python and packages, the settings file, models and their checksums, the runtimes and what `auto` picks, GPUs,
the engine cache, cameras, the virtual camera (v4l2loopback and Secure Boot on Linux) and temperature sensors. Every
system tree it reads comes through ``Roots`` so tests run it on fake sysfs and /dev trees. Pure logic: the CLI
(studio.cli.cmd_doctor) only prints the Report.
"""

from studio.doctor.report import FAIL, INFO, OK, WARN, Check, Report
from studio.doctor.roots import Roots
from studio.doctor.run import run_checks

__all__ = ["FAIL", "INFO", "OK", "WARN", "Check", "Report", "Roots", "run_checks"]
