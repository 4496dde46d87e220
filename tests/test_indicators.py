"""String indicators: the YARA pre-check for long strings and the cache for short ones must
give exactly the labels the branches give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.analyzers.python import indicators
from scanner.analyzers.python.indicators import labels_in

# Pieces that match (or nearly match) indicators, including the edges the YARA strings widen:
# look-arounds, case groups, Python's wider \s (\x1c-\x1f), case changes.
PIECES = ["webhook.site/abc", "WEBHOOK.SITE", "/dev/tcp/", "~/.ssh/id_rsa", "curl\x1chttp://x",
          "curl http://x", "Login Data", "login data", "rm -rf / ", "api.telegram.org/bot1",
          "wireshark", "wireshark.org", "x.wireshark", "http://10.0.0.1", "http://8.8.8.8",
          "bash -i", "bash -i -c ls", "nc -e /bin/sh", "pythonw.exe", "CurrentVersion\\Run",
          "Kramer(", "class Kramer", "169.254.169.254", "schtasks", "LaunchAgents",
          "powershell -enc AAA ", "iex (", "xmrig", "stratum+tcp://", "pastebin.com/raw",
          "discord.com/api/webhooks/1/x", "nslookup x", "host x", "ngrok.io", ".oast.fun"]


def _exact(text: str) -> set[str]:
    return set(indicators._labels(text[:200_000])) if len(text) >= 4 else set()


def test_every_piece_in_a_long_string_gets_the_labels_of_the_branches():
    for piece in PIECES:
        for text in ("x" * 300 + piece, piece + " filler" * 60, "a\n" * 200 + piece + "\n"):
            assert labels_in(text) == _exact(text), piece
    assert "catcher:request-catcher" in labels_in("see https://webhook.site/abc " * 20)
    assert labels_in("plain documentation text " * 40) == set()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES),
                          st.text(alphabet=st.characters(max_codepoint=127), max_size=40)),
                min_size=1, max_size=40))
def test_labels_match_the_branches_for_any_string(parts):
    text = "".join(parts)
    assert labels_in(text) == _exact(text)
    assert labels_in(text) == _exact(text)  # again: the short-string cache answers the same
