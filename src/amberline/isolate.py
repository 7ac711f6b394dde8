"""Fault isolation: an exception while screening one ad costs that ad, never the run.

Why here and not in each caller: scan, extract, the push API and the Dask workers all screen
batches with `Screener.screen_batch`, which makes one pass over the joined texts, so one ad
that trips a bug fails its whole batch. `screen_isolated` screens the batch as usual and, only
when it fails, screens its ads one at a time, so the ads that fail alone are told apart from
the rest. Each failure names the stage and the exception, and `failure_record` turns it into
the quarantine entry every caller stores the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from amberline.ingest.codes import Code
from amberline.ingest.records import BadRecord, excerpt_of
from amberline.model import Ad, Screening
from amberline.pipeline import ScreeningError


class BatchScreener(Protocol):
    """What `screen_isolated` needs: the `Screener` method (timed wrappers also fit)."""

    def screen_batch(self, ads: Sequence[Ad]) -> list[Screening]: ...


@dataclass(frozen=True, slots=True)
class ScreeningFailure:
    """One ad that could not be screened: the stage that raised and the error as text."""

    ad: Ad
    stage: str
    error: str

    @property
    def message(self) -> str:
        return f"{self.stage}: {self.error}"


def _failure(ad: Ad, exc: Exception) -> ScreeningFailure:
    cause = exc.cause if isinstance(exc, ScreeningError) else exc
    stage = exc.stage if isinstance(exc, ScreeningError) else "screen"
    return ScreeningFailure(ad, stage, f"{type(cause).__name__}: {cause}"[:500])


def screen_isolated(
    screener: BatchScreener, ads: Sequence[Ad]
) -> list[Screening | ScreeningFailure]:
    """One result per ad, in order: its `Screening`, or a `ScreeningFailure` when screening
    it alone raises. A batch that screens cleanly costs exactly one `screen_batch` call."""
    try:
        return list(screener.screen_batch(ads))
    except Exception as exc:  # any bug in any stage: isolate, never stop
        if len(ads) == 1:
            return [_failure(ads[0], exc)]
    out: list[Screening | ScreeningFailure] = []
    for ad in ads:
        try:
            out.append(screener.screen_batch([ad])[0])
        except Exception as exc:
            out.append(_failure(ad, exc))
    return out


def split_results(
    ads: Sequence[Ad], results: Sequence[Screening | ScreeningFailure]
) -> tuple[list[tuple[Ad, Screening]], list[ScreeningFailure]]:
    """(screened (ad, screening) pairs, failures), each in input order."""
    items: list[tuple[Ad, Screening]] = []
    failures: list[ScreeningFailure] = []
    for ad, result in zip(ads, results, strict=True):
        if isinstance(result, ScreeningFailure):
            failures.append(result)
        else:
            items.append((ad, result))
    return items, failures


def failure_record(failure: ScreeningFailure, file: str | None = None) -> BadRecord:
    """The quarantine entry of an ad screening failed on."""
    return ad_record(failure.ad, failure.message, Code.SCREENING_ERROR, file)


def ad_record(ad: Ad, message: str, code: Code, file: str | None = None) -> BadRecord:
    """The quarantine entry of an ad a later stage could not handle: where it came from (its
    reader's file and line, else `file`, else its source), the ad key in the message (so two
    ads failing the same way are two entries), and an excerpt of its text."""
    where = ad.origin_file or file or f"<{ad.source}>"
    return BadRecord(where, ad.origin_line, f"{message} (ad {ad.key})", excerpt_of(ad.text),
                     code)
