"""URLs: health check, Wagtail admin, documents, headless API v2, locally stored files, the site's pages."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.documents import urls as wagtaildocs_urls

from shop import page_views
from shop.health import healthz
from video_plugin.api.pages import VideoPagesAPIViewSet
from video_plugin.jobs.storage import LOCAL_MEDIA_URL, is_local

# Only pages are exposed. A headless shop front end gets what it shows from them: each product page carries
# its product image as a rendition URL and its current video as ai_video. Wagtail's images endpoint and
# wagtailmedia's media endpoint are left out on purpose: both list every organization's files, presenter
# photos included, with no scoping by collection.
api_router = WagtailAPIRouter("wagtailapi")
# Wagtail's pages endpoint (live, public pages only), loading a listing's ai_video fields in one query.
api_router.register_endpoint("pages", VideoPagesAPIViewSet)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
    # Ahead of Wagtail's admin: its page chooser and page types report, scoped to the user's pages. Admin URLs
    # from hooks come after Wagtail's own and could not replace them.
    path("admin/", include(page_views.urlpatterns)),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("", include("video_plugin.urls")),
]

if is_local(settings.VIDEO_STORAGE_URL):
    # The embedded demo has no web server in front: Django serves the storage folder itself. With S3/R2 the
    # files' URLs point at the bucket or its public domain instead.
    urlpatterns.append(
        re_path(
            rf"^{LOCAL_MEDIA_URL.strip('/')}/(?P<path>.*)$",
            serve,
            {"document_root": settings.STORAGES["default"]["OPTIONS"]["location"]},
        )
    )

# Each language's pages at its own address (/de/…, /ja/…); the default language's keep theirs, unprefixed.
urlpatterns += i18n_patterns(path("", include(wagtail_urls)), prefix_default_language=False)
