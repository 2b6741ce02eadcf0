"""Django's own messages that the project's catalogue translates instead of Django's.

Django reads the project's catalogue (LOCALE_PATHS) before its own. Marking the messages
here keeps them in locale/zh_Hans when ``make messages`` collects the project's strings:
the too-short password message Django 5.2 words with ``%d``, which Django's zh_Hans
catalogue does not translate (it showed in English), the password messages that
Django's Chinese says with 你 where the project says 您, and the colon Django's forms put
after every label (its label_suffix), which Chinese writes full-width. Nothing calls this
module.
"""

from django.utils.translation import gettext_lazy, ngettext_lazy

#: The forms' label suffix: 名称：, not 名称:.
LABEL_SUFFIX = gettext_lazy(":")

PASSWORD_MESSAGES = (
    ngettext_lazy("This password is too short. It must contain at least %d character.",
                  "This password is too short. It must contain at least %d characters.",
                  "min_length"),
    ngettext_lazy("Your password must contain at least %(min_length)d character.",
                  "Your password must contain at least %(min_length)d characters.",
                  "min_length"),
    gettext_lazy("Your password can’t be too similar to your other personal information."),
    gettext_lazy("Your password can’t be a commonly used password."),
    gettext_lazy("Your password can’t be entirely numeric."),
    gettext_lazy("Your old password was entered incorrectly. Please enter it again."),
)
