from django.urls import path

from .views import bids, browse, handover, lots, matching, watch

app_name = "listings"

urlpatterns = [
    path("lots/", browse.lot_list, name="lot_list"),
    path("lots/new/", lots.lot_create, name="lot_create"),
    path("lots/<str:reference>/", browse.lot_detail, name="lot_detail"),
    path("lots/<str:reference>/edit/", lots.lot_edit, name="lot_edit"),
    path("lots/<str:reference>/publish/", lots.lot_publish, name="lot_publish"),
    path("lots/<str:reference>/cancel/", lots.lot_cancel, name="lot_cancel"),
    path("lots/<str:reference>/close/", lots.lot_close, name="lot_close"),
    path("lots/<str:reference>/files/<int:pk>/", lots.attachment, name="attachment"),
    path("lots/<str:reference>/files/<int:pk>/thumbnail/", lots.attachment_thumbnail, name="attachment_thumbnail"),
    path("lots/<str:reference>/files/<int:pk>/delete/", lots.attachment_delete, name="attachment_delete"),
    path("lots/<str:reference>/bid/", bids.bid_submit, name="bid_submit"),
    path("lots/<str:reference>/bid/withdraw/", bids.bid_withdraw, name="bid_withdraw"),
    path("lots/<str:reference>/bids/", bids.lot_bids, name="lot_bids"),
    path("lots/<str:reference>/watch/", watch.lot_watch, name="lot_watch"),
    path("lots/<str:reference>/unawarded/", bids.lot_unawarded, name="lot_unawarded"),
    path("lots/<str:reference>/pickup/", handover.pickup, name="pickup"),
    path("lots/<str:reference>/processing/", handover.processing, name="processing"),
    path("lots/<str:reference>/processing/proof/", handover.proof, name="proof"),
    path("lots/<str:reference>/complete/", handover.complete, name="complete"),
    path("lots/<str:reference>/rate/", handover.rate, name="rate"),
    path("my/lots/", lots.my_lots, name="my_lots"),
    path("my/bids/", bids.my_bids, name="my_bids"),
    path("my/matches/", matching.my_matches, name="my_matches"),
    path("my/capabilities/", matching.capabilities, name="capabilities"),
    path("my/capabilities/<int:pk>/", matching.capability_edit, name="capability_edit"),
    path("my/capabilities/<int:pk>/delete/", matching.capability_delete, name="capability_delete"),
    path("my/alerts/", matching.my_searches, name="my_searches"),
    path("my/alerts/new/", matching.search_save, name="search_save"),
    path("my/alerts/<int:pk>/delete/", matching.search_delete, name="search_delete"),
    path("wanted/", matching.wanted_list, name="wanted_list"),
    path("wanted/new/", matching.wanted_new, name="wanted_new"),
    path("wanted/<int:pk>/", matching.wanted_detail, name="wanted_detail"),
    path("wanted/<int:pk>/withdraw/", matching.wanted_withdraw, name="wanted_withdraw"),
    path("staff/handovers/", handover.staff_handovers, name="staff_handovers"),
    path("catalogue/", browse.catalogue, name="catalogue"),
]
