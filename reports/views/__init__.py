"""reports' views: dashboards, and the yearly report with its downloads."""

from reports.views.dashboards import at_risk, department, overview  # noqa: F401
from reports.views.pack import pack_download  # noqa: F401
from reports.views.public import (  # noqa: F401
    open_data,
    open_data_csv,
    open_data_json,
    public_department,
    public_home,
)
from reports.views.yearly import (  # noqa: F401
    yearly,
    yearly_download,
    yearly_export,
    yearly_export_file,
    yearly_export_start,
    yearly_print,
    yearly_section,
)
