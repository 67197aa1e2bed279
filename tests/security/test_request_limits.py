"""Request bodies are bounded: forms, JSON and uploads over the limits get a clear 413, nothing written."""

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.authtoken.models import Token

from hub.uploads import BodySizeLimitUploadHandler


def assert_too_large_page(response):
    assert response.status_code == 413
    text = response.content.decode()
    assert "Trop volumineux" in text
    assert "Rien n'a été enregistré" in text
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_a_form_over_the_limit_is_refused_with_a_page(login, bob):
    client = login(bob)
    response = client.post(
        "/accounts/settings/", {"display_name": "x" * 3_000, "language": "fr", "time_zone": "Europe/Paris"}
    )
    assert_too_large_page(response)
    bob.refresh_from_db()
    assert bob.display_name == "Bob Durand"


def test_too_many_fields_are_refused_with_a_page(login, bob, settings):
    client = login(bob)
    data = {f"f{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    data |= {"display_name": "Changé", "language": "fr", "time_zone": "Europe/Paris"}
    response = client.post("/accounts/settings/", data)
    assert_too_large_page(response)
    bob.refresh_from_db()
    assert bob.display_name == "Bob Durand"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_a_json_body_over_the_limit_is_refused(client, bob):
    token = Token.objects.create(user=bob)
    response = client.patch(
        "/api/v1/me/",
        {"display_name": "y" * 3_000},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    bob.refresh_from_db()
    assert bob.display_name == "Bob Durand"


@override_settings(MAX_REQUEST_BODY_SIZE=50_000)
def test_an_upload_over_the_limit_is_refused_and_nothing_is_created(login, bob, association):
    from django_scopes import scopes_disabled

    from shared_tools.models import Tutorial

    client = login(bob)
    image = SimpleUploadedFile("grand.png", b"\x89PNG" + b"0" * 60_000, content_type="image/png")
    response = client.post(
        "/a/amis-du-velo/tutorials/new/",
        {"title": "Un tutoriel", "steps-0-body": "Étape", "steps-0-image": image},
    )
    assert_too_large_page(response)
    with scopes_disabled():
        assert not Tutorial.objects.exists()


def test_too_many_files_are_refused(login, bob, settings):
    client = login(bob)
    files = {f"file{n}": SimpleUploadedFile(f"{n}.txt", b"x") for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)}
    assert_too_large_page(client.post("/a/amis-du-velo/tutorials/new/", files))


@override_settings(MAX_REQUEST_BODY_SIZE=1_000)
def test_the_upload_handler_bounds_a_body_without_a_length():
    # What a chunked upload (no Content-Length) meets while it is parsed.
    handler = BodySizeLimitUploadHandler()
    handler.handle_raw_input(None, {}, 0, b"boundary")
    handler.receive_data_chunk(b"x" * 600, 0)
    with pytest.raises(RequestDataTooBig):
        handler.receive_data_chunk(b"x" * 600, 600)


def test_the_limits_are_set(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 10 * 1024 * 1024
    assert settings.MAX_REQUEST_BODY_SIZE >= settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    assert settings.FILE_UPLOAD_HANDLERS[0] == "hub.uploads.BodySizeLimitUploadHandler"
