"""/api/v1/: the REST API. Its schema at /api/v1/schema/ and the documentation at /api/v1/docs/ (Swagger UI
served from drf-spectacular-sidecar's files: no CDN) are public; everything else needs a token."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import bids, contracts, documents, handover, lots, misc, questions
from .views.base import not_found

app_name = "api"

urlpatterns = [
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("me/", misc.MeView.as_view(), name="me"),
    path("catalogue/", misc.CatalogueView.as_view(), name="catalogue"),
    path("lots/", lots.LotListView.as_view(), name="lots"),
    path("my/lots/", lots.MyLotsView.as_view(), name="my_lots"),
    path("lots/<str:reference>/", lots.LotDetailView.as_view(), name="lot"),
    path("lots/<str:reference>/publish/", lots.LotPublishView.as_view(), name="lot_publish"),
    path("lots/<str:reference>/close/", lots.LotCloseView.as_view(), name="lot_close"),
    path("lots/<str:reference>/cancel/", lots.LotCancelView.as_view(), name="lot_cancel"),
    path("lots/<str:reference>/bids/", bids.LotBidsView.as_view(), name="lot_bids"),
    path("lots/<str:reference>/award/", bids.AwardView.as_view(), name="lot_award"),
    path("lots/<str:reference>/awarding-finish/", bids.AwardingFinishView.as_view(), name="lot_awarding_finish"),
    path("lots/<str:reference>/close-unawarded/", bids.UnawardedView.as_view(), name="lot_unawarded"),
    path("lots/<str:reference>/my-bid/", bids.MyBidView.as_view(), name="my_bid"),
    path("lots/<str:reference>/pickup/", handover.PickupView.as_view(), name="pickup"),
    path("lots/<str:reference>/processing/", handover.ProcessingView.as_view(), name="processing"),
    path("lots/<str:reference>/complete/", handover.CompleteView.as_view(), name="complete"),
    path(
        "lots/<str:reference>/contracts/<int:pk>/periods/",
        contracts.ContractPeriodsView.as_view(),
        name="contract_periods",
    ),
    path(
        "lots/<str:reference>/contracts/<int:pk>/periods/<int:number>/pickup/",
        contracts.PeriodPickupView.as_view(),
        name="contract_period_pickup",
    ),
    path(
        "lots/<str:reference>/contracts/<int:pk>/periods/<int:number>/processing/",
        contracts.PeriodProcessingView.as_view(),
        name="contract_period_processing",
    ),
    path("lots/<str:reference>/contracts/<int:pk>/end/", contracts.ContractEndView.as_view(), name="contract_end"),
    path("lots/<str:reference>/documents/", documents.LotDocumentsView.as_view(), name="lot_documents"),
    path("lots/<str:reference>/documents/<str:number>/pdf/", documents.DocumentPdfView.as_view(), name="document_pdf"),
    path("lots/<str:reference>/questions/", questions.LotQuestionsView.as_view(), name="lot_questions"),
    path(
        "lots/<str:reference>/questions/<int:pk>/answer/",
        questions.QuestionAnswerView.as_view(),
        name="question_answer",
    ),
    path("lots/<str:reference>/addenda/", questions.LotAddendaView.as_view(), name="lot_addenda"),
    path("bids/", bids.MyBidsView.as_view(), name="my_bids"),
    path("notifications/", misc.NotificationListView.as_view(), name="notifications"),
    path("notifications/read/", misc.NotificationReadView.as_view(), name="notifications_read"),
    path("dashboard/", misc.DashboardView.as_view(), name="dashboard"),
    # Anything else under /api/v1/: a 404 as problem details, not the web's HTML page.
    re_path(r"^.*$", not_found, name="not_found"),
]
