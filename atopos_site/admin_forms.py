"""The admin's sign-in form, throttled (see atopos_site.login_throttle)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from atopos_site import login_throttle


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """Django's admin sign-in, refused outright while the client or username is locked."""

    # Django's forms declare error_messages as a plain class attribute.
    error_messages = {  # noqa: RUF012
        **AdminAuthenticationForm.error_messages,
        "throttled": ("Too many failed sign-ins. Wait %(minutes)d minutes before trying again."),
    }

    def clean(self) -> dict[str, Any]:
        """Charge the attempt first; check the password only while within the limit."""
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password or self.request is None:
            return super().clean()
        charged = login_throttle.subjects(self.request.META.get("REMOTE_ADDR", ""), username)
        if not login_throttle.attempt(charged):
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": login_throttle.WINDOW_SECONDS // 60},
            )
        cleaned = super().clean()  # a wrong password raises here and stays counted
        login_throttle.succeeded(charged)
        return cleaned
