from django.conf import settings
from django.utils import translation


class DefaultLanguageMiddleware:
    """Activate the user's chosen language, else the site default (zh-hans).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an
    English-language browser would show English to a user who never asked for it.
    Here only an explicit choice (the language cookie set by ``set_language``) counts.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not language or not translation.check_for_language(language):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
