"""``mcem`` — the command line: a transcript file in, the four outputs on disk.

Errors users can act on are printed as one line on stderr (exit 2 for bad input or settings,
1 when the analysis itself failed); nothing is written unless every output rendered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from mcem.context import MeetingContext
from mcem.errors import ConfigError, LanguageError, LLMError, MCEMError, TranscriptError, explain
from mcem.model import Analysis

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

_DESCRIPTION = """\
MCEM Analyst turns a customer-call transcript into an MCEM Interview Analysis:
company background, executive summary, the customer's voice in each of the five MCEM
stages with verbatim quotes, insights, 3-5 recommendations, the seven-role summary table
and other feedback and sentiment.

Every quote is checked against the transcript; one that cannot be found is dropped.
The analysis is internal to the account team: do not send the outputs to the customer.
"""

_ANALYZE_EPILOG = """\
transcript layouts:
  Microsoft Teams WebVTT (.vtt, as downloaded from Teams or Graph), Teams .docx transcripts,
  plain text with "Name: text" lines or Teams' "Name  0:03" headers, and JSON lists of
  {"speaker", "text"} objects.

outputs (in --out):
  analysis.md     the analysis in the template's Markdown layout
  analysis.docx   the same as a Word document (heading styles, quotes, a real table)
  analysis.json   the Analysis model, with what verification checked and dropped
  card.json       the Adaptive Card (schema 1.5) the Teams bot posts

engines:
  offline  no language model and no network; a deterministic draft (the default
           while no LLM is configured)
  llm      Azure OpenAI or any OpenAI-compatible server; configure with
           AZURE_OPENAI_ENDPOINT + AZURE_OPENAI_DEPLOYMENT (+ AZURE_OPENAI_API_KEY, or
           Entra ID), or OPENAI_API_KEY (+ OPENAI_BASE_URL, MCEM_MODEL). With a
           configuration present, llm is the default.

account folders (--account DIR, or an --out folder that already holds sidecars):
  <yyyy-mm-dd> <subject>.docx            the draft (never overwritten: a clash gets " 1")
  <yyyy-mm-dd> <subject>.analysis.json   the sidecar `mcem account DIR` reads
  <yyyy-mm-dd> <subject>.md, .card.json  as above
  --date is needed there: it orders the calls.

examples:
  mcem analyze call.vtt
  mcem analyze call.vtt --out out/contoso --company Contoso --internal "Ana Silva, Raj Patel"
  mcem analyze call.vtt --account accounts/Contoso --date 2026-11-24 --subject "PoC kick-off"
"""

_ACCOUNT_EPILOG = """\
reads every <yyyy-mm-dd> <subject>.analysis.json in DIR (what `mcem analyze --account DIR` writes),
prints the account brief as Markdown and writes "Account brief.docx" into DIR: the calls in order
with the MCEM stage reached at each, what moved since the previous call, the next steps still open
and those a later call shows done (with that call's verbatim words), risks that recur, and the
sentiment toward Microsoft, the partner and competitors over time. Confidential asides are left out.

example:
  mcem account accounts/Contoso
"""


@dataclass(frozen=True)
class Outputs:
    markdown: str
    docx: bytes
    analysis_json: str
    card_json: str


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcem", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    analyze = sub.add_parser(
        "analyze",
        help="analyse a transcript file and write Markdown, Word, JSON and an Adaptive Card",
        description="Analyse one meeting transcript and write the MCEM Interview Analysis.",
        epilog=_ANALYZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    analyze.add_argument("path", metavar="PATH", type=Path, help="the transcript file")
    analyze.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=Path("out"),
        help="where to write the outputs (default: out)",
    )
    analyze.add_argument(
        "--engine",
        choices=("offline", "llm"),
        default=None,
        help="offline (no LLM) or llm; default: llm when configured, else offline",
    )
    analyze.add_argument(
        "--company", metavar="NAME", default="", help="the customer's company (else guessed)"
    )
    analyze.add_argument(
        "--participant",
        metavar="NAME",
        default="",
        help="the main customer voice (else the customer who spoke most)",
    )
    analyze.add_argument(
        "--interviewer", metavar="NAME", default="", help="who led the call for Microsoft (else guessed)"
    )
    analyze.add_argument(
        "--date",
        metavar="WHEN",
        type=_meeting_time,
        default=None,
        help="when the meeting took place: 2026-11-24 or '2026-11-24 14:00' (UTC unless an offset is given)",
    )
    analyze.add_argument("--subject", metavar="TEXT", default="", help="the meeting's subject")
    analyze.add_argument(
        "--language",
        metavar="NAME",
        default=None,
        help="the language to write the analysis in, e.g. German (default: MCEM_OUTPUT_LANGUAGE, else the "
        "transcript's language with a language model, English offline)",
    )
    analyze.add_argument(
        "--internal",
        metavar="NAMES",
        default="",
        help="comma-separated speakers from the Microsoft side; everyone else is the customer",
    )
    analyze.add_argument(
        "--paper",
        choices=("letter", "a4"),
        default="letter",
        help="the Word document's page size (default: letter)",
    )
    analyze.add_argument(
        "--account",
        metavar="DIR",
        type=Path,
        default=None,
        help="the customer's account folder: write '<date> <subject>.docx' and its .analysis.json there",
    )
    account = sub.add_parser(
        "account",
        help="the account brief across the calls analysed into an account folder",
        description="Build the account brief from the sidecars in an account folder.",
        epilog=_ACCOUNT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    account.add_argument("folder", metavar="DIR", type=Path, help="the account folder")
    account.add_argument(
        "--company", metavar="NAME", default="", help="the customer's name (default: the folder's name)"
    )
    account.add_argument(
        "--paper",
        choices=("letter", "a4"),
        default="letter",
        help="the Word brief's page size (default: letter)",
    )
    return parser


def _configure_logging(environ: Mapping[str, str]) -> None:
    """Users see the CLI's own lines only; MCEM_LOG_LEVEL=INFO (or DEBUG) shows the library's log.

    Without a handler Python prints warnings to stderr by itself; logs never carry transcript text,
    but they are diagnostics, not messages for the person at the terminal.
    """
    level = environ.get("MCEM_LOG_LEVEL", "").strip().upper()
    if level in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        from mcem.logsafe import configure_logging

        configure_logging(level)
    else:
        logging.getLogger().addHandler(logging.NullHandler())


def main(argv: Sequence[str] | None = None) -> int:
    _configure_logging(os.environ)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "account":
        from mcem.account.cli import account_command

        return account_command(args.folder, args.company, args.paper)
    if args.command != "analyze":
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    account = args.account or (args.out if _is_account_folder(args.out) else None)
    if account is not None and args.date is None:
        _err(f"{account} is an account folder: give --date YYYY-MM-DD (when the call took place) to order it")
        return EXIT_USAGE
    args.account = account
    try:
        return asyncio.run(_analyze_command(args, os.environ))
    except KeyboardInterrupt:
        _err("interrupted; nothing was written")
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`mcem analyze ... | head`); the files are written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


async def _analyze_command(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    progress = _progress_printer()
    try:
        # Imported here, as the renderers below are, so that `mcem --help` stays fast.
        from mcem.engines import analyzer_from_env

        analyzer = analyzer_from_env(environ, args.engine)
        progress(f"Reading {args.path.name}")
        transcript = _load(args.path)
        for note in transcript.skipped:  # the analysis goes on without them; say so, once each
            _err(f"warning: {args.path.name}: {note}")
        context = MeetingContext(
            subject=args.subject.strip(),
            start=args.date,
            company=args.company.strip(),
            participant=args.participant.strip(),
            interviewer=args.interviewer.strip(),
            internal_names=frozenset(n.strip() for n in args.internal.split(",") if n.strip()),
            language=(
                args.language if args.language is not None else environ.get("MCEM_OUTPUT_LANGUAGE", "")
            ).strip(),
        )
        from mcem.pipeline import analyze

        analysis = await analyze(transcript, context, analyzer, progress)
        progress("Rendering Markdown, Word and the Teams card")
        outputs = await asyncio.to_thread(render_all, analysis, args.paper)
        if args.account is not None:
            from mcem.account.sidecars import call_stem

            subject = args.subject.strip() or args.path.stem
            paths = write_outputs(args.account, outputs, stem=call_stem(args.date, subject))
        else:
            paths = write_outputs(args.out, outputs)
    except (TranscriptError, ConfigError, LanguageError) as exc:
        # Bad input or settings: one line, whose message already names what to change.
        _err(str(exc))
        return EXIT_USAGE
    except MCEMError as exc:
        _failed(exc, args.path)
        return EXIT_FAILED
    except OSError as exc:
        flag = "--account" if args.account is not None else "--out"
        where = args.account if args.account is not None else args.out
        _err(f"cannot write to {where}: {exc.strerror or exc}; choose another {flag} directory")
        return EXIT_FAILED
    v = analysis.verification
    print(f"Analysed {args.path.name} with the {analysis.meta.engine} analyzer.")
    kept = v.quotes_checked - v.quotes_dropped
    print(f"Quotes verified against the transcript: {kept} kept, {v.quotes_dropped} dropped.")
    for label, path in paths.items():
        print(f"  {label:<9} {path}")
    if environ.get("MCEM_CRM", "").strip().lower() not in ("", "off", "none"):
        # Set for the bot, perhaps in the same .env: say once that nothing went anywhere (README says why).
        _err("note: MCEM_CRM is set, but the command line sends nothing to a CRM; the Teams bot does")
    return EXIT_OK


def _failed(exc: MCEMError, path: Path) -> None:
    """The error's title and message on one line, then what to do (mcem/errors.py)."""
    why = explain(exc)
    _err(f"{why.title[:1].lower()}{why.title[1:]}: {why.message}")
    if isinstance(exc, LLMError) and (where := _keep_raw_reply(exc)):
        _err(f"the model's raw reply was kept for diagnosis in {where}")
    _err(why.advice)
    if isinstance(exc, LLMError):
        _err(f"to get a draft without the language model, run: mcem analyze {path} --engine offline")


class _VersionAction(argparse.Action):
    """argparse's "version" action, looking the version up only when asked: the lookup loads
    importlib.metadata and reads the installed distributions, which every other command can skip."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **_: object) -> None:
        help_text = "show program's version number and exit"  # argparse's own wording
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help_text)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("mcem-analyst")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _meeting_time(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date: use YYYY-MM-DD or 'YYYY-MM-DD HH:MM'"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _load(path: Path):  # -> Transcript; imported lazily so `mcem --help` stays fast
    from mcem.parsing import load_transcript

    return load_transcript(path)


def render_all(analysis: Analysis, paper: Literal["letter", "a4"] = "letter") -> Outputs:
    """Every output in memory first, so a failing renderer leaves nothing half-written."""
    from mcem.render.card import summary_card
    from mcem.render.docx import to_docx
    from mcem.render.markdown import to_markdown

    return Outputs(
        markdown=to_markdown(analysis),
        docx=to_docx(analysis, paper=paper),
        analysis_json=analysis.model_dump_json(indent=2),
        card_json=json.dumps(summary_card(analysis, None), indent=2, ensure_ascii=False),
    )


def _is_account_folder(folder: Path) -> bool:
    from mcem.account.sidecars import is_account_folder

    return is_account_folder(folder)


def _free_stem(out_dir: Path, stem: str, suffixes: list[str]) -> str:
    """``stem``, or "stem 1", "stem 2" ...: an earlier call's draft (maybe edited) is never overwritten."""
    candidate, n = stem, 0
    while any((out_dir / f"{candidate}{suffix}").exists() for suffix in suffixes):
        n += 1
        candidate = f"{stem} {n}"
    return candidate


def write_outputs(out_dir: Path, outputs: Outputs, *, stem: str | None = None) -> dict[str, Path]:
    """Write all four files atomically: each goes to a temp file first, then all are renamed.

    With ``stem`` (an account folder) the files are "<stem>.md", ".docx", ".analysis.json" and
    ".card.json", under a stem no existing file uses; without it, the fixed names in ``out_dir``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    names = {"Markdown": ".md", "Word": ".docx", "JSON": ".analysis.json", "Card": ".card.json"}
    if stem is not None:
        stem = _free_stem(out_dir, stem, list(names.values()))
        named = {label: stem + suffix for label, suffix in names.items()}
    else:
        named = {
            "Markdown": "analysis.md",
            "Word": "analysis.docx",
            "JSON": "analysis.json",
            "Card": "card.json",
        }
    files: dict[str, tuple[str, bytes]] = {
        "Markdown": (named["Markdown"], outputs.markdown.encode("utf-8")),
        "Word": (named["Word"], outputs.docx),
        "JSON": (named["JSON"], outputs.analysis_json.encode("utf-8")),
        "Card": (named["Card"], outputs.card_json.encode("utf-8")),
    }
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.values():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            staged.append((Path(tmp), out_dir / name))
    except OSError:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in staged:
        os.replace(tmp, final)
    return {label: (out_dir / name).resolve() for label, (name, _) in files.items()}


def _keep_raw_reply(exc: LLMError) -> Path | None:
    """Keep the model's raw reply in a private file for diagnosis; it is never printed."""
    if not exc.raw_reply:
        return None
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "mcem"
    try:
        state.mkdir(parents=True, exist_ok=True)
        path = state / "last-llm-reply.txt"
        # A new 0600 file renamed over the old one: an older, readable file (or a symlink planted
        # there) never receives the reply, as O_CREAT on an existing path would let it.
        fd, tmp = tempfile.mkstemp(prefix=".last-llm-reply.", dir=state)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(exc.raw_reply)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return None
    return path


def _progress_printer() -> Callable[[str], None]:
    if not sys.stderr.isatty():
        return lambda _step: None

    def show(step: str) -> None:
        print(f"… {step}", file=sys.stderr, flush=True)

    return show


def _err(message: str) -> None:
    print(f"mcem: {message}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
