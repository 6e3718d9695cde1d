"""The site's addresses plus one that only acts, for tests/test_review_stages.py (the 405 page)."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as site


@require_POST
def acts(request):
    return HttpResponse("done")


urlpatterns = [path("test-only/acts/", acts), *site]
