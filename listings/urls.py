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
    path("lots/<str:reference>/bid/", views.bid_submit, name="bid_submit"),
    path("lots/<str:reference>/bid/withdraw/", views.bid_withdraw, name="bid_withdraw"),
    path("lots/<str:reference>/bids/", views.lot_bids, name="lot_bids"),
    path("lots/<str:reference>/unawarded/", views.lot_unawarded, name="lot_unawarded"),
    path("lots/<str:reference>/pickup/", views.pickup, name="pickup"),
    path("lots/<str:reference>/processing/", views.processing, name="processing"),
    path("lots/<str:reference>/processing/proof/", views.proof, name="proof"),
    path("lots/<str:reference>/complete/", views.complete, name="complete"),
    path("lots/<str:reference>/rate/", views.rate, name="rate"),
    path("my/lots/", views.my_lots, name="my_lots"),
    path("my/bids/", views.my_bids, name="my_bids"),
    path("staff/handovers/", views.staff_handovers, name="staff_handovers"),
    path("catalogue/", views.catalogue, name="catalogue"),
]
