"""The renderer: a few block rules, no dependencies."""
import html
import subprocess
import urllib.request


def _inline(text):
    return html.escape(text).replace("**", "")


def render(source):
    out = []
    for line in source.splitlines():
        if line.startswith("# "):
            out.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
    return "\n".join(out)


def render_file(path):
    with open(path, encoding="utf-8") as fp:
        return render(fp.read())


def render_url(url, timeout=10):
    """Render a remote document (called explicitly by users, never at import)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return render(response.read().decode("utf-8"))


def render_with_pandoc(source, pandoc="pandoc"):
    """Hand the document to pandoc when the user asks for full Markdown."""
    done = subprocess.run([pandoc, "-f", "markdown", "-t", "html"], input=source.encode(),
                          capture_output=True, check=True)
    return done.stdout.decode("utf-8")
