"""Running the pipeline on one machine: LocalDagRunner, scheduled retraining, the work directory.

``runner`` runs the pipeline under a work directory's lock (``work_dir_lock``)
and reports progress (``progress``); ``retrain`` decides whether a scheduled
retrain has anything to do; ``code_version`` fingerprints the installed code
so that a code change is never served from TFX's cache.
"""
