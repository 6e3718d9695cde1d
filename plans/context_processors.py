from django.conf import settings


def site(request):
    context = {
        "SITE_NAME": settings.SITE_NAME,
        "DEMO_MODE": settings.DEMO_MODE,
        # The session's end, for the warning before it (templates/base.html).
        "SESSION_IDLE_MINUTES": settings.SESSION_COOKIE_AGE // 60,
        "SESSION_WARNING_SECONDS": settings.SESSION_WARNING_SECONDS,
    }
    if settings.DEMO_MODE:
        from plans.demo import DEMO_PASSWORD, DEMO_USERS

        context.update(demo_users=DEMO_USERS, demo_password=DEMO_PASSWORD)
    return context
