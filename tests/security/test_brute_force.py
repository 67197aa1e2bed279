"""Brute force on the login page, the API token, sign-up and password reset (hub/ratelimit.py)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from hub import ratelimit
from tests.conftest import PASSWORD
from tests.factories import UserFactory

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
OFFICE = "203.0.113.7"


def login(client, email, password, ip=OFFICE):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def token(client, email, password, ip=OFFICE):
    return client.post(TOKEN, {"email": email, "password": password}, content_type="application/json", REMOTE_ADDR=ip)


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def fail_five_times(client, bob):
    def _fail(ip=OFFICE):
        return [login(client, "bob@exemple.fr", f"mauvais-{n}", ip) for n in range(5)]

    return _fail


def test_the_fifth_failure_cools_the_account_off_from_that_address(client, bob, fail_five_times):
    responses = fail_five_times()
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    last = responses[-1]
    assert int(last["Retry-After"]) == 15 * 60
    text = last.content.decode()
    assert "Trop de tentatives" in text
    assert "15 minutes" in text


def test_the_right_password_is_refused_during_the_cool_off(client, bob, fail_five_times):
    fail_five_times()
    response = login(client, "bob@exemple.fr", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_account_name_is_normalised(client, bob, fail_five_times):
    fail_five_times()
    assert login(client, "  BOB@Exemple.FR ", PASSWORD).status_code == 429


def test_other_accounts_from_the_same_office_still_log_in(client, bob, alice, fail_five_times):
    fail_five_times()
    response = login(client, "alice@exemple.fr", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_same_account_from_another_address_still_logs_in(client, bob, fail_five_times):
    fail_five_times()
    assert login(client, "bob@exemple.fr", PASSWORD, ip="198.51.100.20").status_code == 302


def test_after_the_cool_off_the_right_password_works(client, bob, fail_five_times):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail_five_times()
        traveller.shift(timedelta(minutes=14))
        assert login(client, "bob@exemple.fr", PASSWORD).status_code == 429
        traveller.shift(timedelta(minutes=2))
        assert login(client, "bob@exemple.fr", PASSWORD).status_code == 302


def test_a_success_resets_the_account_counter(client, bob):
    for n in range(4):
        login(client, "bob@exemple.fr", f"mauvais-{n}")
    assert login(client, "bob@exemple.fr", PASSWORD).status_code == 302
    client.logout()
    # Four new failures do not lock: the count started again after the success.
    statuses = [login(client, "bob@exemple.fr", f"encore-{n}").status_code for n in range(4)]
    assert statuses == [200] * 4
    assert login(client, "bob@exemple.fr", PASSWORD).status_code == 302


@override_settings(LOGIN_MAX_FAILURES_PER_IP=8)
def test_many_accounts_guessed_from_one_address_cool_the_address_off(client, db):
    statuses = [login(client, f"inconnu-{n}@exemple.fr", "devine").status_code for n in range(8)]
    assert statuses[-1] == 429
    UserFactory(email="quelquun@exemple.fr")
    response = login(client, "quelquun@exemple.fr", PASSWORD)
    assert response.status_code == 429
    assert "depuis votre connexion" in response.content.decode()


def test_the_api_token_endpoint_is_cooled_off_the_same_way(client, bob):
    statuses = [token(client, "bob@exemple.fr", f"mauvais-{n}").status_code for n in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    refused = token(client, "bob@exemple.fr", PASSWORD)
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert refused.json()["error"]["code"] == "throttled"
    assert "Trop de tentatives" in refused.json()["error"]["message"]


def test_page_and_api_share_the_count(client, bob):
    for n in range(3):
        login(client, "bob@exemple.fr", f"mauvais-{n}")
    token(client, "bob@exemple.fr", "mauvais-api")
    assert login(client, "bob@exemple.fr", "mauvais-5").status_code == 429


def test_forwarded_for_is_ignored_without_trusted_proxies(client, bob):
    for n in range(5):
        client.post(
            LOGIN,
            {"username": "bob@exemple.fr", "password": f"x{n}"},
            REMOTE_ADDR=OFFICE,
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    # A client inventing a new X-Forwarded-For each time does not escape the count.
    response = client.post(
        LOGIN, {"username": "bob@exemple.fr", "password": PASSWORD}, REMOTE_ADDR=OFFICE, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "1.2.3.4", "192.0.2.1", "192.0.2.1"),
        (1, "1.2.3.4", "192.0.2.1", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "192.0.2.1", "1.2.3.4"),  # a client-written entry is left of the proxy's
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "10.0.0.3", "1.2.3.4"),
        (2, "1.2.3.4", "10.0.0.3", "10.0.0.3"),  # fewer entries than proxies: trust none
        (1, "not-an-ip", "192.0.2.1", "not-an-ip"),
    ],
)
def test_client_address(rf, settings, proxies, forwarded, remote, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert ratelimit.client_ip(request) == expected


def test_ipv6_neighbours_share_one_count(client, bob):
    for n in range(5):
        login(client, "bob@exemple.fr", f"x{n}", ip=f"2001:db8:1:2::{n + 1}")
    assert login(client, "bob@exemple.fr", PASSWORD, ip="2001:db8:1:2::99").status_code == 429
    assert login(client, "bob@exemple.fr", PASSWORD, ip="2001:db8:1:3::1").status_code == 302


@override_settings(SIGNUP_MAX_PER_IP_PER_HOUR=3)
def test_sign_up_is_rate_limited_per_address(client, db):
    def sign_up(n, ip=OFFICE):
        return Client().post(
            "/accounts/signup/",
            {
                "display_name": f"P{n}",
                "email": f"p{n}@exemple.fr",
                "password": "une phrase assez longue",
                "language": "fr",
            },
            REMOTE_ADDR=ip,
        )

    assert [sign_up(n).status_code for n in range(3)] == [302, 302, 302]
    refused = sign_up(3)
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert "Trop de tentatives" in refused.content.decode()
    from hub.models import User

    assert not User.objects.filter(email="p3@exemple.fr").exists()
    assert sign_up(4, ip="198.51.100.1").status_code == 302


@override_settings(PASSWORD_RESET_MAX_PER_IP_PER_HOUR=4)
def test_password_reset_requests_are_limited(client, bob):
    def ask(email, ip=OFFICE):
        return client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=ip)

    # One address gets at most three emails an hour, whoever asks, and the page never says so.
    statuses = [ask("bob@exemple.fr", ip=f"198.51.100.{n}").status_code for n in range(5)]
    assert statuses == [302] * 5
    assert len(mail.outbox) == 3
    # One client address asking for many accounts is stopped.
    statuses = [ask(f"x{n}@exemple.fr").status_code for n in range(5)]
    assert statuses == [302, 302, 302, 302, 429]


@pytest.mark.redis
def test_counts_and_cool_offs_work_on_redis(bob):
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    # The suite's cache is Redis when REDIS_URL is set (CI's second pass).
    assert isinstance(caches["default"], RedisCache)
    client = Client()
    assert [login(client, "bob@exemple.fr", f"x{n}").status_code for n in range(5)][-1] == 429
    assert login(client, "bob@exemple.fr", PASSWORD).status_code == 429
    assert login(client, "bob@exemple.fr", PASSWORD, ip="198.51.100.9").status_code == 302
