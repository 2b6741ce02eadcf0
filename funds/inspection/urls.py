"""The inspection desk: red flags and who is behind."""

from django.urls import path

from funds.inspection import views as inspection

urlpatterns = [
    path("flags/<int:year>/", inspection.red_flags, name="red-flags"),
    path("flags/<int:year>/export.csv", inspection.red_flags_export, {"file_format": "csv"},
         name="red-flags-export-csv"),
    path("flags/<int:year>/export.xlsx", inspection.red_flags_export,
         {"file_format": "xlsx"}, name="red-flags-export-xlsx"),
    path("flags/<int:year>/close/", inspection.red_flag_close, name="red-flag-close"),
    path("behind/<int:year>/", inspection.behind, name="behind"),
    path("behind/<int:year>/export.csv", inspection.behind_export, {"file_format": "csv"},
         name="behind-export-csv"),
    path("behind/<int:year>/export.xlsx", inspection.behind_export, {"file_format": "xlsx"},
         name="behind-export-xlsx"),
    path("audit-pack/<int:year>/", inspection.audit_pack, name="audit-pack"),
]
