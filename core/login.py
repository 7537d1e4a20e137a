"""The log-in form with a sentence of our own when the address or password is wrong.

Django's message fills in the username field's name ("Please enter a correct %(username)s and password"),
which in Indonesian came out as "Masukkan nama pengguna alamat email dan sandi yang benar".
"""

from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Enter a correct e-mail address and password. The password is case-sensitive."),
    }
