from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit

from api import pages as api_pages
from api import webhook_pages
from core.login import LoginForm
from core.metrics import metrics_view
from members.forms import PasswordResetForm

from . import health, views
from .sitemaps import SITEMAPS

# Doors a bot would hammer get a rate limit per address (429 with a reason past it).
login_view = method_decorator(ratelimit(key="ip", rate="20/m", method="POST", block=True), name="post")(
    auth_views.LoginView
)
password_reset_view = method_decorator(ratelimit(key="ip", rate="5/m", method="POST", block=True), name="post")(
    auth_views.PasswordResetView
)

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    # /healthz stays what balancers already check (readiness); live and ready for orchestrators.
    path("healthz", health.ready, name="healthz"),
    path("healthz/live", health.live, name="healthz_live"),
    path("healthz/ready", health.ready, name="healthz_ready"),
    path("metrics", metrics_view, name="metrics"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", login_not_required(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path(
        "accounts/login/",
        login_view.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        login_not_required(password_reset_view.as_view(form_class=PasswordResetForm)),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("members.urls")),
    path("", include("listings.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("", include("documents.urls")),
    path("api/v1/", include("api.urls")),
    path("org/<slug:slug>/tokens/", api_pages.tokens, name="api_tokens"),
    path("org/<slug:slug>/tokens/<int:pk>/revoke/", api_pages.token_revoke, name="api_token_revoke"),
    path("org/<slug:slug>/webhooks/", webhook_pages.webhooks_page, name="api_webhooks"),
    path("org/<slug:slug>/webhooks/<int:pk>/pause/", webhook_pages.webhook_pause, name="api_webhook_pause"),
    path("org/<slug:slug>/webhooks/<int:pk>/delete/", webhook_pages.webhook_delete, name="api_webhook_delete"),
    path("org/<slug:slug>/webhooks/<int:pk>/test/", webhook_pages.webhook_test, name="api_webhook_test"),
    path("admin/", admin.site.urls),
]

handler400 = "wastex.views.bad_request"
handler403 = "wastex.views.permission_denied"
handler404 = "wastex.views.page_not_found"
handler500 = "wastex.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
