"""The yearly documents (文件)."""

from django.urls import path

from funds.documents import views as documents
from townships import converters  # noqa: F401 - registers <township_code:…>

urlpatterns = [
    path("documents/<int:year>/", documents.documents, name="documents"),
    path("documents/<int:year>/posting/", documents.posting, name="document-posting"),
    path("documents/<int:year>/<slug:kind>.<slug:fmt>", documents.document_download,
         name="document-download"),
    path("documents/<int:year>/<township_code:code>/posting/", documents.township_posting,
         name="township-document-posting"),
    path("documents/<int:year>/<township_code:code>/<slug:kind>.<slug:fmt>",
         documents.township_document_download, name="township-document-download"),
    path("documents/<int:year>/templates/", documents.template_upload,
         name="document-template-upload"),
    path("documents/<int:year>/templates/<slug:kind>/reset/", documents.template_reset,
         name="document-template-reset"),
]
