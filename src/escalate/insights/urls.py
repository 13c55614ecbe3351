from django.urls import path

from escalate.insights import annual, views, views_exports

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("escalations/", views.escalations, name="escalations"),
    path("annual-report/", annual.years, name="annual-reports"),
    path("annual-report/<int:year>/", annual.report, name="annual-report"),
    path("annual-report/<int:year>/narrative/", annual.narrative, name="annual-report-narrative"),
    path("annual-report/<int:year>.pdf", annual.report_pdf, name="annual-report-pdf"),
    path("export/register.csv", views_exports.register_csv, name="export-register-csv"),
    path("export/register.xlsx", views_exports.register_xlsx, name="export-register-xlsx"),
    path("export/figures.csv", views_exports.figures_csv, name="export-figures-csv"),
    path("export/figures.xlsx", views_exports.figures_xlsx, name="export-figures-xlsx"),
]
