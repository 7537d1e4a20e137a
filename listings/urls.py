from django.urls import path

from . import matching_views, views

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
    path("my/matches/", matching_views.my_matches, name="my_matches"),
    path("my/capabilities/", matching_views.capabilities, name="capabilities"),
    path("my/capabilities/<int:pk>/", matching_views.capability_edit, name="capability_edit"),
    path("my/capabilities/<int:pk>/delete/", matching_views.capability_delete, name="capability_delete"),
    path("my/alerts/", matching_views.my_searches, name="my_searches"),
    path("my/alerts/new/", matching_views.search_save, name="search_save"),
    path("my/alerts/<int:pk>/delete/", matching_views.search_delete, name="search_delete"),
    path("wanted/", matching_views.wanted_list, name="wanted_list"),
    path("wanted/new/", matching_views.wanted_new, name="wanted_new"),
    path("wanted/<int:pk>/", matching_views.wanted_detail, name="wanted_detail"),
    path("wanted/<int:pk>/withdraw/", matching_views.wanted_withdraw, name="wanted_withdraw"),
    path("staff/handovers/", views.staff_handovers, name="staff_handovers"),
    path("catalogue/", views.catalogue, name="catalogue"),
]
