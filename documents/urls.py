from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("lots/<str:reference>/documents/", views.lot_documents, name="lot_documents"),
    path("lots/<str:reference>/documents/revoke/", views.revoke, name="revoke"),
    path("lots/<str:reference>/documents/supersede/", views.supersede, name="supersede"),
    path("lots/<str:reference>/documents/<str:number>.pdf", views.download, name="download"),
    path("verify/", views.verify_lookup, name="verify_lookup"),
    path("verify/<str:code>/", views.verify, name="verify"),
]

from . import evidence_views  # noqa: E402 - the yearly evidence pack (documents.evidence)

urlpatterns += [
    path("my/evidence/<int:year>/", evidence_views.evidence_page, name="evidence"),
    path("my/evidence/<int:year>/status/", evidence_views.evidence_status, name="evidence_status"),
    path("my/evidence/<int:year>/download/", evidence_views.evidence_download, name="evidence_download"),
]
