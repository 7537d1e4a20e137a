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
