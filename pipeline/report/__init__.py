"""The report page of a run: data, evaluation, training, samples and history, offline.

Public face: ``write_report(work_dir, summary, command)`` (called after each
``run`` and ``retrain``), the files it writes in the work directory
(``REPORT_FILE``, the kept pages under ``REPORTS_DIR``, ``HISTORY_FILE``).

Modules: ``artifacts`` the run's artifacts in ML Metadata · ``history`` the
per-run JSON history · ``plots`` matplotlib charts as inline SVG · ``html``
markup helpers and the page shell · ``data_section``, ``evaluation_section``,
``training_section``, ``samples_section``, ``history_section`` one section
each · ``page`` the page · ``writer`` writing it.
"""

from pipeline.report.history import HISTORY_FILE
from pipeline.report.writer import REPORT_FILE, REPORTS_DIR, write_report

__all__ = ["HISTORY_FILE", "REPORT_FILE", "REPORTS_DIR", "write_report"]
