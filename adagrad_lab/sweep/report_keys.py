"""The values of the ``report`` group's keys that validation checks and the report reads;
here, apart from the schema, so that the report imports them without the catalog."""

from __future__ import annotations

# report.format: the files each figure is written as (png: the default; both: PNG shown,
# SVG linked beside it)
REPORT_FORMATS = ("png", "svg", "both")
