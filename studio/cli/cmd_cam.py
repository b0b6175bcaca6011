"""`studio cam`: the live pipeline without a window: camera (or file, image, synthetic scene) in, background replaced,
virtual camera / recording out, until Ctrl-C or ``--duration``; a live status line on a terminal; the run's figures at
the end (studio.cli.cam_report), as JSON too with --stats-json. What can be checked before the start is
(studio.cli.preflight)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from studio.core.kinds import BACKGROUND_KINDS_WITH_FILE, SOURCE_KINDS_WITH_FILE, AlignMode, EventKind, SourceKind

SYNTHETIC = SourceKind.SYNTHETIC.value
DEMO = "demo"
# Events worth a line on the terminal while the status line runs (the rest are in the --stats-json report).
SHOWN = frozenset({EventKind.ERROR, EventKind.WARNING, EventKind.SOURCE_LOST, EventKind.BACKEND_RESTART,
                   EventKind.BACKEND_FALLBACK, EventKind.FATAL, EventKind.BACKEND_HUNG, EventKind.MASK_REJECTED,
                   EventKind.VCAM_FAILED, EventKind.SINK_FAILED, EventKind.IDLE, EventKind.WATCHED})


def register(sub) -> None:
    p = sub.add_parser("cam", help="run the live pipeline headless (camera/file in, virtual camera/recording out)",
                       description="Replace the background of a live source without a window. Settings come from "
                                   "the settings file; flags override them for this run.")
    p.add_argument("--source", required=True, metavar="SRC",
                   help="camera index, device path or URL; a video file; a picture; demo (the scene the app shows "
                        "without a camera); or synthetic[:still|slow|moving|fast] (a generated scene)")
    p.add_argument("--background", metavar="BG",
                   help="blur, none (transparent), a colour (#00b140, green, ...), or a picture or video file")
    p.add_argument("--blur", type=int, metavar="N", help="blur strength (kernel size in pixels)")
    p.add_argument("--edge-px", type=int, metavar="N", help="move the mask edge N pixels outward (N < 0: inward, "
                                                         "-8..8; refine.edge_px)")
    p.add_argument("--model", help="model name (see `studio models list`)")
    p.add_argument("--backend", help="auto, onnxruntime, openvino, tensorrt")
    p.add_argument("--device", help="auto, cpu, gpu, cuda, npu ...")
    vc = p.add_mutually_exclusive_group()
    vc.add_argument("--vcam", dest="vcam", action="store_true", default=None,
                    help="send to the virtual camera (only this flag turns it on: the app's tickbox in the settings "
                         "file does not)")
    vc.add_argument("--no-vcam", dest="vcam", action="store_false", help="do not use the virtual camera")
    p.add_argument("--vcam-device", metavar="DEV", help="virtual camera device (e.g. /dev/video10)")
    p.add_argument("--mirror", action="store_true", default=None, help="mirror the output left-right")
    p.add_argument("--record", metavar="FILE", help="also record the output to this video file")
    p.add_argument("--align-mask", choices=AlignMode.values(),
                   help="auto: a frame sent to the model waits (bounded by the latency budget) for its own mask "
                        "when the model is fast enough; off: every frame takes the newest mask")
    p.add_argument("--latency-budget-ms", type=float, metavar="MS",
                   help="how long capture -> output may take when waiting for a frame's own mask (0: auto, one "
                        "frame interval of the source)")
    warp = p.add_mutually_exclusive_group()
    warp.add_argument("--warp-mask", dest="warp_mask", action="store_true", default=None,
                      help="move a mask made on an earlier frame with the picture before refining (default: "
                           "live.warp_mask, on; `studio bench warp` measures it)")
    warp.add_argument("--no-warp-mask", dest="warp_mask", action="store_false", help="use an older mask as it is")
    idle = p.add_mutually_exclusive_group()
    idle.add_argument("--idle-when-unwatched", dest="idle", action="store_true", default=None,
                      help="with --vcam: pause capture and inference while no program reads the virtual camera "
                           "(it shows a still slate once a second) and resume when one opens it (Linux; default: "
                           "live.idle_when_unwatched, on)")
    idle.add_argument("--no-idle", dest="idle", action="store_false", help="run even when nobody watches")
    p.add_argument("--release-camera-when-idle", action="store_true", default=None,
                   help="close the camera while idle (its light goes off; it takes longer to come back)")
    p.add_argument("--size", metavar="WxH", help="requested capture size (cameras, synthetic), e.g. 1280x720")
    p.add_argument("--fps", type=float, help="requested capture frame rate (cameras, synthetic, pictures)")
    p.add_argument("--no-loop", action="store_true", help="stop at the end of a video file instead of looping")
    p.add_argument("--duration", type=float, metavar="SECONDS",
                   help="stop this many seconds after the start, warm-up included (default: Ctrl-C)")
    p.add_argument("--stats-json", metavar="FILE", help="write the final stats here as JSON")
    p.add_argument("--settings", metavar="FILE", help="settings file (default: the user settings file)")
    p.add_argument("--no-telemetry", action="store_true", help="do not poll temperatures and load")
    p.set_defaults(func=cmd_cam)


def source_settings(src: str, settings) -> None:
    """Fill ``settings.source`` from a --source value."""
    from studio.capture.files import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
    from studio.capture.synthetic import MOTION_SPEEDS
    from studio.core.errors import SourceError

    s = settings.source
    text = src.strip()
    if text == DEMO:
        from studio.capture.synthetic import DEMO_MOTION

        s.kind, s.uri = "synthetic", DEMO_MOTION
        return
    if text == SYNTHETIC or text.startswith(SYNTHETIC + ":"):
        motion = text.partition(":")[2] or "moving"
        if motion not in MOTION_SPEEDS:
            raise SourceError(f"unknown synthetic motion {motion!r}",
                              hint=f"use synthetic or synthetic:{'|'.join(MOTION_SPEEDS)}")
        s.kind, s.uri = "synthetic", motion
        return
    path = Path(text).expanduser()
    suffix = path.suffix.lower()
    if text.isdigit() or text.startswith("/dev/") or "://" in text:
        s.kind, s.uri = "camera", text
    elif suffix in IMAGE_EXTENSIONS:
        s.kind, s.uri = "image", str(path)
    elif suffix in VIDEO_EXTENSIONS or path.is_file():
        s.kind, s.uri = "file", str(path)
    else:
        raise SourceError(f"cannot tell what source {src!r} is",
                          hint="give a camera index (0), a device path (/dev/video0), a URL, a video or picture "
                               "file, or synthetic")
    if s.kind in SOURCE_KINDS_WITH_FILE and not path.is_file():
        raise SourceError(f"source file not found: {path}", hint="check the path")


def background_settings(bg: str, settings) -> None:
    from studio.capture.files import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
    from studio.compose.backgrounds import is_color
    from studio.compose.base import BackgroundError

    b = settings.background
    text = bg.strip()
    if text.lower() in ("blur", "none"):
        b.kind = text.lower()
    elif is_color(text):
        b.kind, b.color = "color", text
    else:
        path = Path(text).expanduser()
        suffix = path.suffix.lower()
        if suffix in IMAGE_EXTENSIONS:
            b.kind = "image"
        elif suffix in VIDEO_EXTENSIONS:
            b.kind = "video"
        else:
            raise BackgroundError(f"cannot tell what background {bg!r} is",
                                  hint="blur, none, a colour (#00b140) or a picture/video file")
        if not path.is_file():
            raise BackgroundError(f"background file not found: {path}", hint="check the path")
        b.path = str(path)


def build_settings(args):
    from studio.config.settings import SettingsError, load_settings

    settings = load_settings(Path(args.settings).expanduser() if args.settings else None,
                             must_exist=bool(args.settings))
    if args.size:
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            raise SettingsError(f"--size {args.size!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None
        settings.source.width, settings.source.height = w, h
    if args.fps is not None:  # --fps 0 is an error from validate(), not a flag quietly ignored
        settings.source.fps = args.fps
    if args.no_loop:
        settings.source.loop = False
    source_settings(args.source, settings)
    if args.background:
        background_settings(args.background, settings)
    if args.blur is not None:
        settings.background.blur_strength = args.blur
    if args.edge_px is not None:  # range checked by validate()
        settings.refine.edge_px = args.edge_px
    for attr in ("model", "backend", "device"):
        if getattr(args, attr):
            setattr(settings.inference, attr, getattr(args, attr))
    # The virtual camera is the command line's alone: the app's tickbox, saved in the same file, must not make a
    # headless run try (and stop on) a loopback device nobody asked this run for.
    settings.output.vcam = bool(args.vcam)
    if args.vcam_device:
        settings.output.vcam_device = args.vcam_device
    if args.mirror:
        settings.output.mirror = True
    if args.record is not None:
        settings.output.record = args.record
    if args.align_mask:
        settings.live.align_mask = args.align_mask
    if args.latency_budget_ms is not None:  # range checked by validate(), as for the settings file
        settings.live.latency_budget_ms = args.latency_budget_ms
    if args.warp_mask is not None:
        settings.live.warp_mask = args.warp_mask
    if args.idle is not None:
        settings.live.idle_when_unwatched = args.idle
    if args.release_camera_when_idle:
        settings.live.release_camera_when_idle = True
    return settings.validate()


def preflight(args, settings) -> None:
    """What can be checked before the run, checked now (seconds, not a minute in): see studio.cli.preflight."""
    from studio.cli.preflight import check_backend, check_model, check_output, check_source
    from studio.output.recorder import fourcc_for

    check_output(args.stats_json, "stats file")
    if settings.output.record:
        fourcc_for(settings.output.record)
        check_output(settings.output.record, "recording")
    check_model(settings.inference.model)
    check_backend(settings.inference.backend, settings.inference.device)
    check_source(settings.source)
    bg = settings.background
    if bg.kind in BACKGROUND_KINDS_WITH_FILE and bg.path and not Path(bg.path).expanduser().is_file():
        from studio.compose.base import BackgroundError

        raise BackgroundError(f"background {bg.kind} not found: {bg.path}",
                              hint="check the path (--background, or [background] in the settings file)")


def status_line(st) -> str:
    if st.idle:
        return f"idle: nobody is watching the virtual camera ({st.vcam})  src {st.source_state}"
    lat = st.latency_ms.get(50, float("nan"))
    temp = "" if st.temperature_c is None else f" {st.temperature_c:.0f}C"
    share = st.aligned_share
    own = "-" if share != share else f"{share * 100:3.0f}%"  # NaN before the first frame
    return (f"out {st.output_fps:5.1f} fps  cap {st.capture_fps:5.1f}  inf {st.inference_fps:5.1f}/s "
            f"[{st.tier:<8}]  lat {lat:5.1f} ms  mask p50 {st.mask_ms.get(50, float('nan')):5.1f} ms  "
            f"own mask {own}{'' if st.align else ' (align off)'}  "
            f"{st.backend or 'loading'}  {st.thermal_state}{temp}  src {st.source_state}")


def cmd_cam(args) -> int:
    import logging

    from studio.config.settings import check_range

    settings = build_settings(args)
    if args.duration is not None:  # NaN compares False with everything: a plain <= 0 let it run for 0 s
        check_range("--duration", args.duration, 0, 1e9, lo_open=True, what="option")
    preflight(args, settings)
    studio_log = logging.getLogger("studio")
    level = studio_log.level
    if not getattr(args, "verbose", 0):
        # Events are printed below with their hints; the same news in log form would say everything twice.
        studio_log.setLevel(logging.ERROR)
    try:
        return _run(args, settings)
    finally:
        studio_log.setLevel(level)


def _run(args, settings) -> int:
    import time

    from studio.cli.cam_report import outcome, print_summary, recorded_before
    from studio.cli.cold_start import ColdStart
    from studio.control.pipeline import LivePipeline
    from studio.control.session import run_session
    from studio.core.atomic import write_text_atomic
    from studio.core.command import reachable

    tty = sys.stdout.isatty()
    record = Path(settings.output.record).expanduser() if settings.output.record else None
    if not settings.output.vcam and record is None:
        print("studio cam: no --vcam or --record: nothing leaves this process (frames are made and dropped; "
              "the summary is the result)", file=sys.stderr)
    if tty:
        until = f"for {args.duration:g} s, " if args.duration else ""
        print(f"studio cam: running {until}Ctrl-C to stop", file=sys.stderr)
    before = recorded_before(record)
    t_start = time.perf_counter()
    deadline = t_start + args.duration if args.duration else None
    cold = ColdStart()
    pipeline = LivePipeline(settings, telemetry=not args.no_telemetry, sinks=[cold.sink()])
    cold.mark("pipeline_built")
    pipeline.subscribe(cold.on_event)

    vcam_failed = []
    fatal = []  # a permanent inference error (missing or broken model, runtime not installed): stop at once

    def on_event(event) -> None:
        if event.kind is EventKind.VCAM_FAILED:
            vcam_failed.append(event)
        if event.kind is EventKind.FATAL:
            fatal.append(event)
        if event.kind in SHOWN:
            hint = f"\n  hint: {event.hint}" if event.hint else ""
            print(reachable(f"\nstudio cam: {event.kind}: {event.message}{hint}"), file=sys.stderr)

    pipeline.subscribe(on_event)

    def tick(st) -> None:
        if tty:
            print("\r" + status_line(st)[:160].ljust(160), end="", flush=True)

    try:
        report = run_session(pipeline, None, tick=tick, should_stop=lambda: bool(vcam_failed or fatal),
                             deadline=deadline)
    except BaseException:
        pipeline.close(10.0)
        raise
    if tty:
        print()
    wall = time.perf_counter() - t_start
    data = report.to_dict()
    try:  # counted after the threads have stopped: every frame the recorder got is in it
        total_out = pipeline.stats().frames_out
    except Exception:
        total_out = None
    recorded = print_summary(report, wall, record, before, label=DEMO if args.source.strip() == DEMO else None,
                             total_out=total_out)
    if args.stats_json:
        data["wall_s"] = round(wall, 3)
        data["cold_start"] = cold.to_dict()
        if record is not None:
            data["recorded_frames"] = recorded
        write_text_atomic(Path(args.stats_json).expanduser(), json.dumps(data, indent=2) + "\n")
    if fatal:
        from studio.cli.preflight import check_backend

        # The pre-flight's quick look (a runtime's package is there) may have let a broken install through: the
        # full check says so as a pre-flight failure would have (usage error, exit 2).
        check_backend(settings.inference.backend, settings.inference.device, quick=False)
        print(f"studio cam: stopped: inference cannot run ({fatal[0].message})", file=sys.stderr)
        return 1
    if vcam_failed or (settings.output.vcam and report.vcam.startswith("error")):
        print("studio cam: stopped: the virtual camera could not be used (see the hint above)", file=sys.stderr)
        return 2
    return outcome(report, record, recorded, total_out)
