"""Changing one's own password, with the old one checked as a login is.

Django's form checks the old password on the user object, which django-axes never sees:
at a colleague's unlocked screen, guesses would be unlimited. Here the old password goes
through ``authenticate``, so failures count towards the same lockout as failed logins,
and a locked-out user name cannot change its password either.
"""

from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError


class GuardedPasswordChangeForm(PasswordChangeForm):
    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if authenticate(self.request, username=self.user.get_username(),
                        password=old_password) is None:
            raise ValidationError(self.error_messages["password_incorrect"],
                                  code="password_incorrect")
        return old_password


class GuardedPasswordChangeView(PasswordChangeView):
    form_class = GuardedPasswordChangeForm

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"request": self.request}
