"""The session's end, for the page's warning a few minutes before it (static/js/session.js).

Sessions end after SESSION_IDLE_MINUTES without a request (SESSION_SAVE_EVERY_REQUEST
slides the end along with every request). Each signed-in page says how many seconds it has
left (base.html, `data-session-seconds`); "stay signed in" asks here, which, being a
request, extends the session. Reading what is left without extending it is not possible
on purpose: the page counts down itself.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST


@never_cache
@require_POST
def keepalive(request):
    """Extend the signed-in session; 401 (JSON, no redirect) once it has ended."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "detail": _("Your session has ended: sign in again.")}, status=401)
    request.session.modified = True  # saved, and so extended, even without SESSION_SAVE_EVERY_REQUEST
    return JsonResponse({"signed_in": True, "seconds": request.session.get_expiry_age()})
