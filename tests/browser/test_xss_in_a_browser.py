"""The XSS corpus, rendered by the real pages and opened in a real browser: no dialog opens and no
script runs. The page's CSP is bypassed on purpose, so this checks the sanitiser itself, not the
CSP that would otherwise catch what slipped through."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from shared_tools import services
from shared_tools.models import Tutorial, TutorialVisibility
from tests.tutorials.safety import payloads

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Any script that runs sets this flag or opens a dialog; the payloads call alert(), and these
# extra ones set the flag in ways a dialog listener would not see.
FLAG_PAYLOADS = [
    '<img src=x onerror="window.__pwned=1">',
    "[clic](javascript:window.__pwned=1)",
    '<svg onload="window.__pwned=1"></svg>',
    "<script>window.__pwned=1</script>",
]


def test_no_payload_runs_in_chromium(browser, live_server, make_tutorial, bob):
    corpus = payloads() + FLAG_PAYLOADS
    # A tutorial holds at most 50 steps: the corpus is spread over several, titles included.
    tutorials = [
        make_tutorial(visibility=TutorialVisibility.PUBLIC, title=f"Essai {n}", steps=corpus[start : start + 40])
        for n, start in enumerate(range(0, len(corpus), 40))
    ]
    tutorial = tutorials[0]
    for payload in corpus[:30]:
        services.ask_question(user=bob, tutorial=tutorial, body=payload)
    with scopes_disabled():
        for other, payload in zip(tutorials, corpus, strict=False):
            Tutorial.objects.filter(pk=other.pk).update(title=payload[:200])

    context = browser.new_context(bypass_csp=True, java_script_enabled=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    urls = [reverse("frontend:tutorial_library")]
    for each in tutorials:
        urls += [
            reverse("frontend:tutorial_detail", kwargs={"code": each.code}),
            reverse("frontend:tutorial_print", kwargs={"code": each.code}),
        ]
    for url in urls:
        response = page.goto(live_server.url + url, wait_until="load")
        assert response is not None and response.status == 200, url
        page.wait_for_timeout(300)
        # Clicking every link would follow javascript: URLs if any had survived.
        for link in page.query_selector_all("main a[href]")[:200]:
            href = link.get_attribute("href") or ""
            assert not href.strip().lower().startswith(("javascript:", "data:", "vbscript:")), href
        assert page.evaluate("() => window.__pwned === undefined"), f"a script ran on {url}"
    context.close()
    assert dialogs == []
    assert len(corpus) > 60
