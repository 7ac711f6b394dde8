"""Reports for the people who act on a case: the CyberTipline-shaped hotline report and its
client, the HTML/PDF case file, the takedown list, and the decisions they start from.

Everything here reads the store and the `decisions` table; nothing here changes a screening.
"""

from __future__ import annotations

from amberline.report.case import Case, CaseNotFound, load_case
from amberline.report.case_file import CaseFiles, write_case_file
from amberline.report.cybertip import ReporterConfig, build_report, load_reporter_config
from amberline.report.takedown import TakedownList, takedown_list
from amberline.store.decisions import Decision, record_decision

__all__ = [
    "Case", "CaseFiles", "CaseNotFound", "Decision", "ReporterConfig", "TakedownList",
    "build_report", "load_case", "load_reporter_config", "record_decision",
    "takedown_list", "write_case_file",
]
