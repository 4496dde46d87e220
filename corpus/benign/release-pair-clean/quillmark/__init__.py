"""quillmark: render Markdown-ish notes to HTML."""
from .render import render, render_file

__version__ = "3.4.1"
__all__ = ["render", "render_file"]
