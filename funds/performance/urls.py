"""The 绩效 cycle: targets, monitoring, the self-evaluation and their files."""

from django.urls import path

from funds.performance import views as performance

urlpatterns = [
    path("performance/<int:year>/", performance.performance, name="performance"),
    path("performance/<int:year>/start/", performance.performance_start,
         name="performance-start"),
    path("performance/<int:year>/compute/", performance.performance_compute,
         name="performance-compute"),
    path("performance/<int:year>/file/", performance.performance_file, name="performance-file"),
    path("performance/<int:year>/reopen/", performance.performance_reopen,
         name="performance-reopen"),
    path("performance/<int:year>/monitoring/", performance.performance_monitoring,
         name="performance-monitoring"),
    path("performance/<int:year>/<str:kind>.<str:fmt>", performance.performance_file_download,
         name="performance-download"),
    path("performance/evidence/<int:pk>/", performance.performance_evidence,
         name="performance-evidence"),
]
