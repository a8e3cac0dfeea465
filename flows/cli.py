"""The clipcart command line: thin calls into flows/ and pipeline/.

Exit status: 0 done, 2 bad input (one line on stderr: what, where, how to fix),
1 anything else. CLIPCART_DEBUG=1 adds the traceback.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

import flows  # noqa: F401  (sets Prefect's environment before Prefect is imported)
from flows.console import err, out
from pipeline.core.errors import BadInput, ClipcartError
from pipeline.core.safe_text import excerpt

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Turn creator footage and product data into shoppable short videos.")

DEFAULT_OUT = Path("out")


def _settings(duration: float, lang: str, engine: str, model: str, layout: str = "",
              platforms: str = "") -> Any:
    from pipeline.plan import Settings
    from pipeline.publish.platforms import placement_platforms

    if not 5 <= duration <= 60:
        raise BadInput(f"--duration {duration:g} is outside 5-60 seconds",
                       hint="Pick a clip length between 5 and 60 seconds")
    if engine not in ("ffmpeg", "moviepy"):
        raise BadInput(f"--engine {excerpt(engine, 20)} is not known", hint="Use ffmpeg or moviepy")
    if layout not in ("", "auto", "crop", "fit"):
        raise BadInput(f"--layout {excerpt(layout, 20)} is not known", hint="Use auto, crop or fit")
    from pipeline.speech.transcribe import check_language

    return Settings(duration_ms=round(duration * 1000), language=check_language(lang),
                    engine=engine, model=model, layout=layout,
                    platforms=placement_platforms(_platforms(platforms)))


def _platforms(value: str) -> tuple[Any, ...]:
    """Platform names from ``--platforms`` (commas, semicolons or bars between them)."""
    from pipeline.publish.platforms import PLATFORMS

    names = tuple(dict.fromkeys(p.strip() for p in value.lower().replace("|", ",")
                                .replace(";", ",").split(",") if p.strip()))
    unknown = [p for p in names if p not in PLATFORMS]
    if unknown:
        raise BadInput(f"--platforms: {excerpt(unknown[0], 20)} is not a platform",
                       hint=f"Use {', '.join(PLATFORMS)}, separated by commas")
    return names


@app.command()
def make(
    footage: Annotated[list[Path], typer.Argument(
        help="Footage file(s) of the product (any phone or camera video); "
             "with several, the best one is used.")],
    catalog: Annotated[Path, typer.Option(help="Catalog CSV/JSON or Shopify export.")],
    sku: Annotated[str, typer.Option(help="SKU of the product in the catalog.")],
    template: Annotated[str, typer.Option(help="Brand template name or YAML path.")] = "bold",
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = DEFAULT_OUT,
    duration: Annotated[float, typer.Option(help="Target clip length in seconds.")] = 15.0,
    lang: Annotated[str, typer.Option(help="Spoken language, or auto.")] = "auto",
    engine: Annotated[str, typer.Option(help="ffmpeg or moviepy.")] = "ffmpeg",
    model: Annotated[str, typer.Option(
        help="Whisper model: auto (tiny.en for English, multilingual base otherwise), "
             "a name or a folder.")] = "auto",
    layout: Annotated[str, typer.Option(
        help="auto, crop (9:16 follows the subject) or fit (whole frame over a blurred "
             "fill); default: the template's (auto).")] = "",
    platforms: Annotated[str, typer.Option(
        help="Platforms the clip is for, e.g. 'youtube' or 'tiktok,instagram': captions and "
             "card keep clear of their interfaces only; default: every platform's.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest only.")] = False,
    variants: Annotated[int, typer.Option(
        help="Make N clips that each differ from the first on one axis (A/B variants; "
             "--json prints a list).")] = 0,
    vary: Annotated[str, typer.Option(
        help="Axes the variants differ on, in turn: window (the opening), template, "
             "music, captions.")] = "window,template,music,captions",
    script: Annotated[Path | None, typer.Option(
        help="What is said, as plain text or SRT: the captions show its words, timed by "
             "the speech.")] = None,
) -> None:
    """Make one clip: OUT/<clip_id>/ with clip.mp4, captions, thumbnail, plan, manifest."""
    from flows.produce import produce_clip
    from pipeline.produce import preload_whisper

    settings = _settings(duration, lang, engine, model, layout, platforms)
    if variants:
        _make_variants(footage, catalog, sku, template, out_dir, settings, variants, as_json,
                       vary, script)
        return
    _check_inputs(footage, catalog, sku, template, out_dir, settings, script)
    preload_whisper(settings)
    with err.status("making clip…"):
        manifest = produce_clip(footage, catalog, sku, out_dir, template, settings, script)
    if as_json:
        sys.stdout.write(json.dumps(manifest, ensure_ascii=False) + "\n")
    else:
        _summary(manifest)


def _check_inputs(footage: list[Path], catalog: Path, sku: str, template: str, out_dir: Path,
                  settings: Any, script: Path | None) -> None:
    """Every input check of a make, after the options' own (a bad file or SKU is told in
    seconds, not after Prefect's 10 s start)."""
    from flows.produce import make_request
    from pipeline.produce import check_request

    check_request(make_request(footage, catalog, sku, out_dir, template, settings, script))


def _make_variants(footage: list[Path], catalog: Path, sku: str, template: str, out_dir: Path,
                   settings: Any, count: int, as_json: bool, vary: str,
                   script: Path | None) -> None:
    """``make --variants N``: one clip per variant (pipeline/ops/variants.py); when the
    footage has no further opening, the other axes take the window variants' places
    (one line on stderr says so)."""
    import dataclasses

    from flows.produce import counted, produce_clip
    from pipeline.core.errors import FootageError
    from pipeline.ops import variants as plans
    from pipeline.produce import preload_whisper

    axes, alternatives = plans.parse_axes(vary), plans.load_alternatives(template)
    specs = plans.plan_variants(template, count, alternatives, axes)
    _check_inputs(footage, catalog, sku, template, out_dir, settings, script)
    preload_whisper(settings)
    made: list[dict[str, Any]] = []
    while len(made) < len(specs):
        spec = specs[len(made)]
        with err.status(f"making variant {spec.label} ({spec.axis} {spec.value})…"):
            try:
                manifest = produce_clip(footage, catalog, sku, out_dir, spec.template,
                                        dataclasses.replace(settings, **spec.changes()), script)
            except FootageError as exc:
                if spec.axis != "window":
                    raise
                err.print(f"clipcart: variant {spec.label}: {exc.message}; another axis "
                          "takes its place", markup=False, soft_wrap=True)
                specs = plans.with_fewer_openings(template, count, alternatives, axes, spec)
                alternatives = alternatives.model_copy(
                    update={"windows": spec.window_rank - 1})
                continue
        labelled = plans.label_variant(out_dir / str(manifest["clip_id"]), spec)
        made.append(counted(labelled, out_dir))  # links registered with the label
    if as_json:
        sys.stdout.write(json.dumps(made, ensure_ascii=False) + "\n")
        return
    for manifest in made:
        what = manifest["variant_of"]
        out.print(f"variant {manifest['variant']} ({what['axis']} {what['value']}): "
                  f"{manifest['outputs']['video']}", markup=False, soft_wrap=True)


def _summary(manifest: dict[str, Any], post_id: str = "") -> None:
    qc = manifest["qc"]
    table = Table(show_header=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("clip", manifest["outputs"]["video"])
    table.add_row("duration", f"{manifest['duration_ms'] / 1000:.2f} s")
    table.add_row("qc", f"{'passed' if qc['passed'] else 'FAILED'}: {qc['width']}x{qc['height']} "
                  f"{qc['fps']} fps, {qc['loudness_lufs']} LUFS, {qc['true_peak_dbtp']} dBTP")
    table.add_row("link", manifest["links"].get("tiktok", ""))
    if post_id:
        table.add_row("post id", post_id)
    for warning in manifest.get("warnings", []):
        table.add_row("warning", warning)
    out.print(table)


@app.command()
def demo(out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = DEFAULT_OUT
         ) -> None:
    """Make a clip from the bundled samples and publish it to a local sandbox platform."""
    from flows.produce import produce_clip
    from pipeline.core.home import home_subdir
    from pipeline.media.samples import CATALOG_CSV, DEMO_SKU, demo_footage
    from pipeline.plan import Settings
    from pipeline.produce import preload_whisper
    from pipeline.publish import publish_clip
    from sandbox.server import start_sandbox

    preload_whisper(Settings())
    with err.status("generating sample footage…"):
        footage = demo_footage(home_subdir("samples"))
    with err.status("making clip…"):
        manifest = produce_clip(footage, CATALOG_CSV, DEMO_SKU, out_dir, "bold", None)
    # a fresh sandbox platform each run, so the demo keeps its own ledger beside it
    ledger = f"sqlite:///{home_subdir('demo')}/sandbox-ledger-{os.getpid()}.db"
    with start_sandbox() as sandbox, err.status(f"publishing to sandbox {sandbox.base_url}…"):
        record = publish_clip(Path(manifest["outputs"]["video"]), clip_id=manifest["clip_id"],
                              caption=manifest["caption_text"], platform="tiktok",
                              account="demo", sandbox_url=sandbox.base_url, ledger_url=ledger)
    Path(ledger.removeprefix("sqlite:///")).unlink(missing_ok=True)
    _summary(manifest, post_id=str(record.post_id))


@app.command()
def check(video: Annotated[Path, typer.Argument(help="Video file to check.")],
          as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
          platforms: Annotated[str, typer.Option(
              help="Platforms whose interface zones the overlays are checked against, e.g. "
                   "'tiktok,youtube'; default: those the clip was made for (its plan.json), "
                   "else all.")] = "") -> None:
    """Check a video against the delivery spec and each platform's rules, and (with the
    clip's plan.json beside it) whether captions or card sit under a platform's own
    interface; exit 1 on failure."""
    from pipeline.core.models import ClipPlan
    from pipeline.media.probe import probe
    from pipeline.publish.platforms import PLATFORMS
    from pipeline.qc import overlay_verdicts

    asked = _platforms(platforms)
    probe(video)
    plan_file = video.parent / "plan.json"
    plan = (ClipPlan.model_validate_json(plan_file.read_text("utf-8"))
            if plan_file.is_file() else None)
    zones = (overlay_verdicts(plan, asked or tuple(plan.platforms) or PLATFORMS)  # type: ignore[arg-type]
             if plan is not None else None)
    _check_report(video, zones, as_json)


def _check_report(video: Path, zones: Any, as_json: bool) -> None:
    """Print ``clipcart check``'s findings and exit with its status."""
    from pipeline.qc import inspect

    result = inspect(video)
    report = result.report
    clear = zones is None or all(v.passed for v in zones)
    if as_json:
        data = result.as_dict()
        data["interface_zones"] = None if zones is None else {
            v.platform: {"passed": v.passed, "problems": list(v.problems)} for v in zones}
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        for key, value in report.model_dump(exclude={"problems"}).items():
            out.print(f"{key:16} {value}")
        for verdict in result.platforms:
            mark = Text("✓", "green") if verdict.passed else Text("✗", "red")
            out.print(mark, f"{verdict.platform:10} {'; '.join(verdict.problems) or 'accepted'}")
        for problem in report.problems:
            out.print(Text("✗", "red"), problem)
        if zones is None:
            out.print("overlays         not checked: no plan.json beside the video")
        for verdict in zones or ():
            mark = Text("✓", "green") if verdict.passed else Text("✗", "red")
            out.print(mark, f"{verdict.platform:11} interface: "
                            f"{'; '.join(verdict.problems) or 'overlays clear of it'}")
    raise typer.Exit(0 if report.passed and clear else 1)


@app.command()
def templates() -> None:
    """List the brand templates."""
    from pipeline.brand.templates import list_templates

    table = Table("name", "description", "music", "card animation", "layout")
    for t in list_templates():
        table.add_row(t.name, t.description, t.music.mood if t.music.enabled else "off",
                      t.card.animation, t.layout)
    out.print(table)


@cache
def _register_optional() -> None:
    """Commands that live in their own modules, added once per process: each call of
    ``main`` added them again, so a process that ran N commands (a test worker, a
    notebook) rebuilt N copies of each on every call."""
    from flows import bench_cli, linkpage_cli, loop_cli, orchestrate_cli, publish_cli, slice_cli

    publish_cli.register(app)
    orchestrate_cli.register(app)
    linkpage_cli.register(app)
    bench_cli.register(app)
    loop_cli.register(app)
    slice_cli.register(app)


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM (a service manager's stop, ``timeout``, ``kill``) raises KeyboardInterrupt
    in the main thread while a command runs, so it unwinds as Ctrl-C does (exit 130):
    the staging folder and render scratch go, and Prefect's embedded server is stopped.
    Python's default ends the process on the spot, and the server, a child process,
    was left running for good."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turn every error into one line and an exit code."""
    _register_optional()
    try:
        # without standalone mode Typer *returns* typer.Exit's code (and 130 for Ctrl-C)
        with _sigterm_unwinds():
            code = app(args=argv, standalone_mode=False)
        if code == 130:
            raise KeyboardInterrupt
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return _interrupted()
    except typer.TyperException as exc:  # usage errors: missing or invalid arguments
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        err.print(f"clipcart: {message}{_dash_hint(argv)} (see clipcart --help)", markup=False,
                  soft_wrap=True)
        return 2
    except ClipcartError as exc:
        _debug_trace()
        err.print(f"clipcart: {exc.one_line()}", markup=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except OSError as exc:  # a folder that cannot be written (read-only --out, full disk)
        _debug_trace()
        err.print(f"clipcart: cannot write {exc.filename or 'a file'}: "
                  f"{exc.strerror or exc}. Check the folder's permissions and free space",
                  soft_wrap=True)
        return 1
    except Exception as exc:
        _debug_trace()
        err.print(f"clipcart: internal error: {exc.__class__.__name__}: {excerpt(str(exc), 200)}. "
                  "Run with CLIPCART_DEBUG=1 for details", markup=False, soft_wrap=True)
        return 1
    return code if isinstance(code, int) else 0


def _interrupted() -> int:
    err.print("clipcart: interrupted; finished clips are kept and nothing half-made is "
              "left, so running the same command again carries on", markup=False,
              soft_wrap=True)
    return 130


def _dash_hint(argv: list[str] | None) -> str:
    """A fix for file names that start with '-' and so were read as options."""
    args = sys.argv[1:] if argv is None else argv
    dashed = [a for a in args if a.startswith("-") and len(a) > 1 and Path(a).exists()]
    if not dashed:
        return ""
    return (f". {dashed[0]!r} is a file whose name starts with '-': "
            f"write it as ./{dashed[0]}")


def _debug_trace() -> None:
    if os.environ.get("CLIPCART_DEBUG"):
        traceback.print_exc()
        exc = sys.exc_info()[1]
        if hasattr(exc, "cmd") and hasattr(exc, "stderr_tail"):  # FFmpegError: what ran, why
            err.print("command: " + " ".join(map(str, exc.cmd)), markup=False, soft_wrap=True)
            err.print(exc.stderr_tail, markup=False, soft_wrap=True)


def run() -> None:
    """Console-script wrapper."""
    sys.exit(main())


if __name__ == "__main__":
    run()
