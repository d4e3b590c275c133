"""Staff log-in in two steps (password, then a security code), set-up and lock-out pages."""

from __future__ import annotations

import io
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import CodeForm, SetupCodeForm


class LoginView(auth_views.LoginView):
    """Password first (throttled by django-axes), then the second-factor page."""

    def form_valid(self, form):
        super().form_valid(form)
        return redirect(f"{reverse('two_factor')}?{urlencode({'next': self.get_success_url()})}")


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Ask for a code; a user with no authenticator yet is sent to set one up."""
    next_url = _next_url(request)
    if request.user.is_verified():
        return redirect(next_url)
    if not services.user_has_second_factor(user=request.user):
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': next_url})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = services.second_factor_verify(request=request, code=form.cleaned_data["code"])
        if wait is None:
            return redirect(next_url)
        if wait > 0:
            form.add_error(
                "code",
                ngettext(
                    "After a wrong code, wait %(seconds)d second before trying again.",
                    "After wrong codes, wait %(seconds)d seconds before trying again.",
                    wait,
                )
                % {"seconds": wait},
            )
        else:
            form.add_error(
                "code",
                _(
                    "That code is not right. Check the time on your phone is correct and try "
                    "the newest code, or use a backup code."
                ),
            )
    return render(request, "accounts/two_factor.html", {"form": form, "next": next_url})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code (or type the key), then enter its code.

    A user who already has one must be verified to replace it, so a password alone cannot.
    """
    if services.user_has_second_factor(user=request.user) and not request.user.is_verified():
        return redirect(f"{reverse('two_factor')}?{urlencode({'next': request.path})}")
    next_url = _next_url(request)
    device = services.authenticator_pending(user=request.user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.authenticator_confirm(
                request=request, device=device, code=form.cleaned_data["code"]
            )
        except ValueError:
            form.add_error(
                "code",
                _("That code is not right. Enter the code the app shows now (it changes often)."),
            )
        else:
            return render(request, "accounts/backup_codes.html", {"codes": codes, "next": next_url})
    key = b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "key_groups": [key[i : i + 4] for i in range(0, len(key), 4)],
        },
    )


@never_cache
@login_required
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the authenticator being set up, as SVG (its own URL: no inline images)."""
    if services.user_has_second_factor(user=request.user) and not request.user.is_verified():
        return HttpResponse(status=403)
    device = services.authenticator_pending(user=request.user)
    svg = io.BytesIO()
    # A whole SVG document (with its namespace), as an <img> needs; not svg_inline's fragment.
    segno.make(device.config_url, error="m").save(svg, kind="svg", scale=4, border=2)
    return HttpResponse(svg.getvalue(), content_type="image/svg+xml")


@never_cache
@require_POST
@login_required
def backup_codes_new(request: HttpRequest) -> HttpResponse:
    """A fresh set of backup codes (the old ones stop working); needs a verified session."""
    if not request.user.is_verified():
        return redirect(f"{reverse('two_factor')}?{urlencode({'next': reverse('staff:home')})}")
    codes = services.backup_codes_issue(user=request.user)
    messages.success(request, _("New backup codes made. The old ones no longer work."))
    return render(
        request, "accounts/backup_codes.html", {"codes": codes, "next": reverse("staff:home")}
    )


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lock-out response: a polite page, 429, that tells no one whether it was the
    account or the address that was locked."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
