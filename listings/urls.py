from django.urls import path

from . import views

app_name = "listings"

urlpatterns = [
    path("lots/", views.lot_list, name="lot_list"),
    path("lots/new/", views.lot_create, name="lot_create"),
    path("lots/<str:reference>/", views.lot_detail, name="lot_detail"),
    path("lots/<str:reference>/edit/", views.lot_edit, name="lot_edit"),
    path("lots/<str:reference>/publish/", views.lot_publish, name="lot_publish"),
    path("lots/<str:reference>/cancel/", views.lot_cancel, name="lot_cancel"),
    path("lots/<str:reference>/close/", views.lot_close, name="lot_close"),
    path("lots/<str:reference>/files/<int:pk>/", views.attachment, name="attachment"),
    path("lots/<str:reference>/files/<int:pk>/thumbnail/", views.attachment_thumbnail, name="attachment_thumbnail"),
    path("lots/<str:reference>/files/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("my/lots/", views.my_lots, name="my_lots"),
    path("catalogue/", views.catalogue, name="catalogue"),
]
