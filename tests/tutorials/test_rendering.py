"""Step bodies go through hub.markdown.render_markdown: not one payload of the corpus survives."""

import pytest

from hub.markdown import render_markdown
from tests.tutorials.safety import payloads, problems_in


def test_the_corpus_is_large_enough():
    assert len(payloads()) >= 60


@pytest.mark.parametrize("payload", payloads())
def test_markdown_rendering_neutralises(payload):
    assert problems_in(str(render_markdown(payload))) == []


def test_external_links_get_noopener_nofollow():
    rendered = str(render_markdown("[site](https://exemple.fr)"))
    assert 'rel="noopener nofollow"' in rendered


def test_the_checker_catches_what_it_should():
    assert problems_in('<img src="x" onerror="alert(1)">')
    assert problems_in('<a href="&#106;avascript:alert(1)">x</a>')
    assert problems_in("<script>alert(1)</script>")
    assert problems_in('<img src="data:image/png;base64,AAAA">')
    assert not problems_in("<p>&lt;script&gt; onload=alert(1)</p>")
