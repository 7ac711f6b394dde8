"""Quarantine reason codes: one stable short code per kind of failure, beside its message.

Why codes: a quarantine of millions of rows is read by counting and filtering (`amberline
quarantine --code ...`), and messages carry details (line, byte offset, the exception) that
make every row different. The codes are part of the command-line and database contract: add
new ones, never rename.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Why a record is in the quarantine."""

    BAD_RECORD = "bad_record"  # rows written before codes existed
    TOO_LARGE = "too_large"  # over a size limit (record, file, field)
    BAD_ENCODING = "bad_encoding"  # not UTF-8, or a lone surrogate escape
    BAD_JSON = "bad_json"  # does not parse, or not an object
    TOO_DEEP = "too_deep"  # nested past the depth limit
    BIG_NUMBER = "big_number"  # an integer with more digits than the limit
    NO_TEXT = "no_text"  # no title or body
    BAD_ROW = "bad_row"  # a CSV row with the wrong fields, or a Parquet row that does not read
    QUOTE_RUN = "quote_run"  # a stray quote swallowed rows into one field
    BAD_HEADER = "bad_header"  # a CSV header that cannot be used
    TRUNCATED = "truncated"  # a file ends inside a record, or is corrupt past this point
    NOT_REGULAR = "not_regular"  # a link out of the folder, a device, a pipe
    BAD_HTML = "bad_html"  # does not parse, or over the node/time limit
    BAD_IMAGE = "bad_image"  # an image a record names cannot be read
    UNREADABLE = "unreadable"  # the file cannot be opened or read
    SCREENING_ERROR = "screening_error"  # a pipeline stage raised on this ad
    STORE_ERROR = "store_error"  # the database refused this ad (its batch-mates are stored)
