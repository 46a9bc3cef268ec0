"""The gate: Great Expectations suites over candidate builds, and their stored results."""

import logging

# GX logs ~200 INFO lines ("Skipping registering function …") while it is imported; keep its
# INFO out of task logs. Set here, before any module of this package imports GX.
logging.getLogger("great_expectations").setLevel(logging.WARNING)
