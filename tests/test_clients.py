"""The client address behind trusted proxies (proms/clients.py)."""

from django.test import RequestFactory

from proms.clients import client_address


def request_from(remote: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_with_no_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(request_from("198.51.100.1", "203.0.113.9")) == "198.51.100.1"


def test_with_one_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request_from("10.0.0.2", "6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_with_two_proxies_the_address_the_outer_one_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    address = client_address(request_from("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1"))

    assert address == "203.0.113.9"


def test_a_header_that_is_not_an_address_counts_the_proxy_hop(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request_from("10.0.0.2", "<script>")) == "10.0.0.2"


def test_a_missing_header_behind_a_proxy_counts_the_proxy_hop(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request_from("10.0.0.2")) == "10.0.0.2"
