from django.conf import settings


def site(request):
    context = {"SITE_NAME": settings.SITE_NAME, "DEMO_MODE": settings.DEMO_MODE}
    if settings.DEMO_MODE:
        from plans.demo import DEMO_PASSWORD, DEMO_USERS

        context.update(demo_users=DEMO_USERS, demo_password=DEMO_PASSWORD)
    return context
