"""The client address behind exactly TRUSTED_PROXY_COUNT proxies (proms/client_address.py)."""

from django.test import RequestFactory

from proms.client_address import client_address


def request(remote="10.0.0.2", forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(request(forwarded="203.0.113.9")) == "10.0.0.2"


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request(forwarded="6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_second_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_address(request(forwarded="6.6.6.6, 203.0.113.9, 10.0.0.1")) == "203.0.113.9"


def test_a_request_that_skipped_the_proxy_falls_back_to_the_remote_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request()) == "10.0.0.2"


def test_a_request_without_an_address_has_none(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(request(remote="")) is None


def test_a_forwarded_entry_that_is_not_an_address_falls_back_to_the_remote_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request(forwarded="<script>")) == "10.0.0.2"
