"""The load benchmark's URLs (``bench/load_settings.py``): the project's own, plus the baseline - a view
that runs exactly one query (one org unit by primary key, through the ORM) and answers a few bytes.
Never part of the product's URLs (``config/urls.py``)."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config import urls as project
from wellbeing.models import OrgUnit

BASELINE_PATH = "bench/one-query/"


@require_GET
def one_query(request):
    """The cheapest page a Django view that reads the database can be: one row by primary key."""
    code = OrgUnit.objects.filter(pk=1).values_list("code", flat=True).first()
    return HttpResponse(code or "-", content_type="text/plain")


urlpatterns = [path(BASELINE_PATH, one_query, name="bench-one-query"), *project.urlpatterns]
handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500
