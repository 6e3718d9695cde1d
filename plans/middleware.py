class DefaultLanguageMiddleware:
    """zh-Hant for everyone unless they chose another language.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a city
    PC with an English Windows would get English. Here the language is the one chosen
    with the switcher in the header (kept in a cookie), else settings.LANGUAGE_CODE.
    Must come before django.middleware.locale.LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
