"""Conversations: `amberline chats screen`, `amberline chats train`, `amberline chats report`.

Thin: parses options, calls `amberline.chats` and the store, prints. Machine output (one JSON
line per conversation, in input order) goes to stdout; counts and quarantined records go to
stderr, so the output can be piped and nothing is lost silently. With `--db` the screened
conversations are stored too (and the quarantined records kept in the store's quarantine,
like a scan's), for the workspace's conversation queue.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from amberline.commands.common import DbOption, UserError, cli_actor, console, err, open_store

chats_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="Screen conversations for grooming and sextortion, with evidence.")

FormatOption = Annotated[str | None, typer.Option(
    "--format", help="jsonl, pan, telegram, discord, csv or parquet (default: by file name).")]
TextColumn = Annotated[str, typer.Option(help="CSV/Parquet column holding the text.")]
IdColumn = Annotated[str, typer.Option(
    help="CSV/Parquet id column; where absent the id is the row number from 0.")]
LabelColumn = Annotated[str, typer.Option(help="CSV/Parquet label column (1 = act on).")]


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `amberline` app."""
    app.add_typer(chats_app, name="chats")


def _read(path: Path, fmt: str | None, text_column: str, id_column: str, label_column: str,
          counts: dict[str, int], bad: list | None = None) -> Iterator:
    from amberline.chats.ingest import (
        FORMATS,
        ChatReadOptions,
        UnsupportedChatInput,
        read_conversations,
    )
    from amberline.chats.records import Conversation

    if fmt is not None and fmt not in FORMATS:
        raise UserError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
    options = ChatReadOptions(format=fmt, text_column=text_column, id_column=id_column,
                              label_column=label_column)
    try:
        stream = read_conversations(path, options)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from exc
    except UnsupportedChatInput as exc:
        raise UserError(str(exc)) from exc
    for item in stream:
        if isinstance(item, Conversation):
            counts["read"] += 1
            yield item
        else:
            _quarantined(item, counts, bad)


def _quarantined(item: Any, counts: dict[str, int], bad: list | None) -> None:
    """Count a bad record, say so on stderr, and keep it for the store's quarantine."""
    counts["quarantined"] += 1
    where = f"{item.file}:{item.line}" if item.line is not None else item.file
    err.print(f"quarantined {where}: {item.reason}", markup=False, highlight=False)
    if bad is not None:
        bad.append(item)


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@chats_app.command("screen")
def screen(
    file: Annotated[Path, typer.Argument(help="Conversations: JSONL, PAN XML, Telegram or "
                                         "Discord JSON export, CSV, Parquet.")],
    model: Annotated[Path | None, typer.Option(
        help="Model from `chats train`; without it the lexicon rules alone score.")] = None,
    fmt: FormatOption = None,
    text_column: TextColumn = "text",
    id_column: IdColumn = "id",
    label_column: LabelColumn = "label",
    batch_size: Annotated[int, typer.Option(help="Conversations per batch.")] = 256,
    db: Annotated[str | None, typer.Option(
        "--db", "--database", help="Also store the screened conversations here (SQLite file "
        "or database URL, as for `scan`); re-running stores nothing twice.")] = None,
) -> None:
    """Score conversations; one JSON line per conversation on stdout, in input order."""
    from amberline.chats.model import ChatModel, ModelError
    from amberline.chats.rules import default_rules
    from amberline.chats.screen import screen_batch

    loaded = None
    if model is not None:
        if not model.is_file():
            raise UserError(f"{model}: no such model file; make one with `amberline chats train`")
        try:
            loaded = ChatModel.load(model)
        except ModelError as exc:
            raise UserError(str(exc)) from exc
    rules = default_rules()
    counts = {"read": 0, "quarantined": 0, "alerts": 0, "stored": 0, "duplicate": 0}
    sink = _Sink(db, file, "rules" if model is None else model.name) if db else None
    bad: list | None = [] if sink else None
    out = sys.stdout
    status = "failed"
    try:
        for batch in _batches(_read(file, fmt, text_column, id_column, label_column, counts,
                                    bad), max(1, batch_size)):
            results = screen_batch(batch, rules, loaded)
            for result in results:
                counts["alerts"] += result.alert
                out.write(result.json_line())
                out.write("\n")
            if sink is not None and bad is not None:
                sink.write(batch, results, bad, counts)
        status = "done"
    finally:
        out.flush()
        if sink is not None and bad is not None:
            sink.finish(bad, counts, status)
    stored = f", {counts['stored']} stored, {counts['duplicate']} already stored" if db else ""
    err.print(f"{file}: {counts['read']} conversations screened, {counts['alerts']} alerts, "
              f"{counts['quarantined']} quarantined{stored}", markup=False, highlight=False)


class _Sink:
    """Where `chats screen --db` stores: one scan record per run (its counts, as for `scan`),
    the conversations batch by batch, and the quarantined records."""

    def __init__(self, db: str, file: Path, scorer: str) -> None:
        self.store = open_store(db, must_exist=False)
        self.scorer, self.file = scorer, str(file)
        self.scan_id = self.store.begin_scan([f"chats:{file}"])

    def write(self, batch: list, results: list, bad: list, counts: dict[str, int]) -> None:
        from amberline.ingest.records import BadRecord
        from amberline.store.conversations import unstorable, write_conversations

        keep = []
        for conv, result in zip(batch, results, strict=True):
            problem = unstorable(conv)
            if problem is None:
                keep.append((conv, result))
            else:
                _quarantined(BadRecord(self.file, None, f"conversation {conv.id[:80]!r}: "
                                       f"{problem}", conv.id), counts, bad)
        new = write_conversations(self.store, self.scan_id, keep, self.scorer)
        counts["stored"] += len(new)
        counts["duplicate"] += len(keep) - len(new)
        self.store.quarantine(self.scan_id, bad)
        bad.clear()

    def finish(self, bad: list, counts: dict[str, int], status: str) -> None:
        self.store.quarantine(self.scan_id, bad)
        self.store.finish_scan(self.scan_id, counts, status)
        self.store.close()


@chats_app.command("train")
def train(
    file: Annotated[Path, typer.Argument(help="Labelled conversations (label 1 = act on).")],
    out: Annotated[Path, typer.Option(help="Model file to write (.npz).")],
    fmt: FormatOption = None,
    text_column: TextColumn = "text",
    id_column: IdColumn = "id",
    label_column: LabelColumn = "label",
    c: Annotated[float, typer.Option("--c", help="Inverse regularisation strength.")] = 10.0,
    threshold: Annotated[float | None, typer.Option(
        help="Alert threshold on the calibrated score (default: the best F0.5 out of fold).")]
    = None,
) -> None:
    """Train the calibrated conversation model on labelled conversations."""
    from amberline.chats.model import train as fit
    from amberline.chats.rules import default_rules

    if threshold is not None and not 0 < threshold < 1:
        raise UserError(f"--threshold {threshold}: must be between 0 and 1")
    counts = {"read": 0, "quarantined": 0}
    convs = list(_read(file, fmt, text_column, id_column, label_column, counts))
    unlabelled = sum(cv.label is None for cv in convs)
    try:
        model = fit(convs, default_rules(), c=c, threshold=threshold)
    except ValueError as exc:
        raise UserError(f"{file}: {exc}") from exc
    model.save(out)
    err.print(f"{out}: trained on {model.info['conversations']} conversations, alert threshold "
              f"{model.threshold}, early threshold {model.early} "
              f"({model.info['positives']} labelled 1); {unlabelled} without a label skipped, "
              f"{counts['quarantined']} quarantined", markup=False, highlight=False)


@chats_app.command("report")
def report(
    conversation: Annotated[str, typer.Argument(
        help="Conversation key (source:id, as stored by `chats screen --db`) or numeric id.")],
    reporter_config: Annotated[Path, typer.Option(
        "--reporter-config", help="TOML file with a [reporter] table.")],
    out: Annotated[Path, typer.Option(help="Where to write the report XML.")] = Path(
        "report.xml"),
    reported_author: Annotated[str | None, typer.Option(
        help="The author to report (one who wrote in the conversation); default: none named."
    )] = None,
    db: DbOption = "amberline.db",
) -> None:
    """Build the CyberTipline-shaped report XML for a decided conversation (audited)."""
    from amberline.report.case import CaseNotFound
    from amberline.report.chat_report import build_conversation_report, load_conversation
    from amberline.report.cybertip import load_reporter_config
    from amberline.store import audit

    store = open_store(db)
    try:
        conv, decided = load_conversation(store, conversation)
        xml = build_conversation_report(conv, decided, load_reporter_config(reporter_config),
                                        reported_author)
    except CaseNotFound as exc:
        raise UserError(f"{db}: {exc}") from exc
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    audit.append(store, cli_actor(), "export", f"conversation:{conv.id}",
                 {"kind": "report_xml", "conversation": conv.key, "bytes": len(xml),
                  "out": str(out)})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(xml)
    console.print(f"wrote {out} ({len(xml):,} bytes)", highlight=False)
