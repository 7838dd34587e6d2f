"""Reports on a run folder: rich terminal tables and a self-contained HTML page.

Reads only saved records (``run.json``, trajectories, ``scores.json``), never console output.
"""

from clawbench.report._html import render_html
from clawbench.report._run import (
    RUN_SCHEMA_VERSION,
    TRAJECTORY_DIR,
    EpisodeResult,
    EpisodeScoreEntry,
    RunData,
    RunError,
    RunManifest,
    ScoresFile,
    load_manifest,
    load_run,
    load_scores,
    trajectory_filename,
    write_json_atomic,
)
from clawbench.report._terminal import (
    compare_table,
    coverage_warnings,
    episodes_table,
    fits,
    fitted_table,
    id_column,
    num_column,
    summary_table,
    text_column,
)
from clawbench.report._view import (
    EpisodeView,
    RunView,
    episodes_list,
    run_view,
    summary_dict,
)

__all__ = [
    "RUN_SCHEMA_VERSION",
    "TRAJECTORY_DIR",
    "EpisodeResult",
    "EpisodeScoreEntry",
    "EpisodeView",
    "RunData",
    "RunError",
    "RunManifest",
    "RunView",
    "ScoresFile",
    "compare_table",
    "coverage_warnings",
    "episodes_list",
    "episodes_table",
    "fits",
    "fitted_table",
    "id_column",
    "num_column",
    "load_manifest",
    "load_run",
    "load_scores",
    "render_html",
    "run_view",
    "summary_dict",
    "summary_table",
    "text_column",
    "trajectory_filename",
    "write_json_atomic",
]
